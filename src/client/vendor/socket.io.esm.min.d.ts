// Types for socket.io-client's browser ESM bundle, which the front serves from node_modules at
// /client/vendor/socket.io.esm.min.js (never copied into the repo, never from a CDN).
export * from 'socket.io-client';
