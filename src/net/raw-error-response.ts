// A whole HTTP error response written straight to a socket, for bytes that never became a request
// (unparsable, over the size limit, too slow): in the same shape as the routes' answers.
import { STATUS_CODES } from 'node:http';
import { errorBody, HTTP_ERRORS, type HttpErrorCode } from '../protocol/http-errors.js';

/**
 * A whole HTTP response for a connection that never became a request (unparsable bytes, headers
 * over the size limit, too slow): written to the socket before closing it, in the same shape.
 */
export function rawErrorResponse(code: HttpErrorCode): string {
  const body = JSON.stringify(errorBody(code));
  const status = HTTP_ERRORS[code].statusCode;
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

