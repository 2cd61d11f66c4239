// The front's error answers: the contract's table (src/protocol/http-errors.ts) under the front's
// names, and the coded refusal its routes throw.
import { HTTP_ERRORS, type HttpErrorCode } from '../protocol/http-errors.js';

export { errorBody, type ErrorBody } from '../protocol/http-errors.js';
export { rawErrorResponse } from '../net/raw-error-response.js';
export const FRONT_ERRORS = HTTP_ERRORS;
export type FrontErrorCode = HttpErrorCode;

/** A coded refusal thrown by the routes; answered with its status and errorBody(code). */
export class FrontError extends Error {
  readonly statusCode: number;
  constructor(readonly code: FrontErrorCode, message?: string) {
    super(message ?? FRONT_ERRORS[code].message);
    this.statusCode = FRONT_ERRORS[code].statusCode;
  }
}
