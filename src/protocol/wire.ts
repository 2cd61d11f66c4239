// The contract shared by the front, the workers and the browser client.
// Types only (plus constant tables): no DOM, no Node APIs, so both builds can compile it.

/** What `GET /ws-endpoint` answers and what the page embeds in `<script id="ws-endpoint">`. */
export interface WsEndpoint {
  /** Stable id of the worker slot, e.g. `w2`. */
  workerId: string;
  /** The worker's origin only, e.g. `http://127.0.0.1:3133` (never a path: socket.io-client would read it as a namespace). */
  url: string;
  /** The socket.io path on that origin, e.g. `/socket.io` or `/w/2/socket.io` behind a path-routing proxy. */
  path: string;
  /** Opaque routing token, passed back as `auth.token`. */
  token: string;
  /** Expiry of the token, Unix epoch milliseconds. */
  expiresAt: number;
}

/** Codes a worker puts in `connect_error`'s `err.data.code` when it refuses admission. */
export const ADMISSION_ERROR_CODES = [
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_WRONG_WORKER',
  'WORKER_DRAINING',
] as const;
export type AdmissionErrorCode = (typeof ADMISSION_ERROR_CODES)[number];

export interface AdmissionErrorData {
  code: AdmissionErrorCode;
}

export interface WhoAmI {
  workerId: string;
  pid: number;
  /** The client address as the worker sees it. */
  address: string;
}

export interface ChatMessage {
  from: string;
  text: string;
  /** Server time of the message, Unix epoch milliseconds. */
  at: number;
}

export interface ChatAck {
  ok: boolean;
  error?: string;
}

/** Events of the demo application on the default namespace, client to server. */
export interface ClientToServerEvents {
  whoami: (ack: (me: WhoAmI) => void) => void;
  echo: (payload: unknown, ack: (payload: unknown) => void) => void;
  'chat:send': (text: string, ack?: (result: ChatAck) => void) => void;
}

/**
 * Sent by a draining worker just before it disconnects a client: not an error, the client
 * re-resolves at once (avoiding this worker) and carries on elsewhere.
 */
export const DRAIN_EVENT = 'sioroute:drain';

export interface DrainNotice {
  workerId: string;
}

/** Events of the demo application on the default namespace, server to client. */
export interface ServerToClientEvents {
  'chat:message': (message: ChatMessage) => void;
  'sioroute:drain': (notice: DrainNotice) => void;
}

/** Longest chat text a worker accepts, in characters. */
export const CHAT_TEXT_MAX = 500;
