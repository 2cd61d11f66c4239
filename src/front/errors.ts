// Every error code the front answers with, in one table. Bodies keep fastify's shape
// {statusCode, code, error, message}; `error` carries the stable code too (the public contract
// documents `error: "NO_HEALTHY_WORKER"`). 5xx messages stay generic.

export const FRONT_ERRORS = {
  NO_HEALTHY_WORKER: { statusCode: 503, message: 'no healthy worker is available; retry shortly' },
  BAD_REQUEST: { statusCode: 400, message: 'the request is malformed' },
  BAD_CLIENT_ADDRESS: { statusCode: 400, message: 'the client address is not an IP address' },
  NOT_FOUND: { statusCode: 404, message: 'not found' },
  RATE_LIMITED: { statusCode: 429, message: 'too many requests; retry after the delay in Retry-After' },
  INTERNAL_ERROR: { statusCode: 500, message: 'internal error' },
} as const;

export type FrontErrorCode = keyof typeof FRONT_ERRORS;

export interface ErrorBody {
  statusCode: number;
  code: FrontErrorCode;
  error: FrontErrorCode;
  message: string;
}

export function errorBody(code: FrontErrorCode, message: string = FRONT_ERRORS[code].message): ErrorBody {
  return { statusCode: FRONT_ERRORS[code].statusCode, code, error: code, message };
}
