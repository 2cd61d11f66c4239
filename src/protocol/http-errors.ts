// The HTTP error answers of sioroute's routes, one table: the stable code, its status and a generic
// message. Bodies keep fastify's shape {statusCode, code, error, message}; `error` carries the
// code too. Shared by the front, the workers' own routes and the clients that read them.

export const HTTP_ERRORS = {
  NO_HEALTHY_WORKER: { statusCode: 503, message: 'no healthy worker is available; retry shortly' },
  BAD_REQUEST: { statusCode: 400, message: 'the request is malformed' },
  BAD_CLIENT_ADDRESS: { statusCode: 400, message: 'the client address is not an IP address' },
  METRICS_FORBIDDEN: { statusCode: 403, message: 'this address may not read /metrics (see METRICS_FROM)' },
  STATUS_FORBIDDEN: { statusCode: 403, message: 'this address may not read /status (see STATUS_FROM)' },
  NOT_FOUND: { statusCode: 404, message: 'not found' },
  REQUEST_TIMEOUT: { statusCode: 408, message: 'the request was not received in time' },
  PAYLOAD_TOO_LARGE: { statusCode: 413, message: 'the request body is too large' },
  RATE_LIMITED: { statusCode: 429, message: 'too many requests; retry after the delay in Retry-After' },
  HEADERS_TOO_LARGE: { statusCode: 431, message: 'the request line and headers are too large' },
  INTERNAL_ERROR: { statusCode: 500, message: 'internal error' },
  OVERLOADED: { statusCode: 503, message: 'the front is overloaded; retry after the delay in Retry-After' },
  METRICS_UNAVAILABLE: { statusCode: 503, message: 'the metrics of the cluster could not be collected in time; retry shortly' },
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export interface ErrorBody {
  statusCode: number;
  code: HttpErrorCode;
  error: HttpErrorCode;
  message: string;
}

export function errorBody(code: HttpErrorCode, message: string = HTTP_ERRORS[code].message): ErrorBody {
  return { statusCode: HTTP_ERRORS[code].statusCode, code, error: code, message };
}
