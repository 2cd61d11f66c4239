// Every error code the front answers with, in one table. Bodies keep fastify's shape
// {statusCode, code, error, message}; `error` carries the stable code too (the public contract
// documents `error: "NO_HEALTHY_WORKER"`). 5xx messages stay generic.
import { STATUS_CODES } from 'node:http';
import { METRICS_FORBIDDEN_MESSAGE } from '../metrics/scrape-access.js';

export const FRONT_ERRORS = {
  NO_HEALTHY_WORKER: { statusCode: 503, message: 'no healthy worker is available; retry shortly' },
  BAD_REQUEST: { statusCode: 400, message: 'the request is malformed' },
  BAD_CLIENT_ADDRESS: { statusCode: 400, message: 'the client address is not an IP address' },
  METRICS_FORBIDDEN: { statusCode: 403, message: METRICS_FORBIDDEN_MESSAGE },
  NOT_FOUND: { statusCode: 404, message: 'not found' },
  REQUEST_TIMEOUT: { statusCode: 408, message: 'the request was not received in time' },
  PAYLOAD_TOO_LARGE: { statusCode: 413, message: 'the request body is too large' },
  RATE_LIMITED: { statusCode: 429, message: 'too many requests; retry after the delay in Retry-After' },
  HEADERS_TOO_LARGE: { statusCode: 431, message: 'the request line and headers are too large' },
  INTERNAL_ERROR: { statusCode: 500, message: 'internal error' },
  OVERLOADED: { statusCode: 503, message: 'the front is overloaded; retry after the delay in Retry-After' },
  METRICS_UNAVAILABLE: { statusCode: 503, message: 'the metrics of the cluster could not be collected in time; retry shortly' },
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

/**
 * A whole HTTP response for a connection that never became a request (unparsable bytes, headers
 * over the size limit, too slow): written to the socket before closing it, in the same shape.
 */
export function rawErrorResponse(code: FrontErrorCode): string {
  const body = JSON.stringify(errorBody(code));
  const status = FRONT_ERRORS[code].statusCode;
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** A coded refusal thrown by the routes; answered with its status and errorBody(code). */
export class FrontError extends Error {
  readonly statusCode: number;
  constructor(readonly code: FrontErrorCode, message?: string) {
    super(message ?? FRONT_ERRORS[code].message);
    this.statusCode = FRONT_ERRORS[code].statusCode;
  }
}
