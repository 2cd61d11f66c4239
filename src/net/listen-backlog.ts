// How many connections the kernel may hold for a listening socket before the process accepts
// them. Node's default, 511, is too few for a reconnect storm: when a worker dies, its thousands of
// clients resolve at the front and connect to the other workers within a fraction of a second, the
// accept queue overflows, and the kernel drops their handshakes, which clients only retry after 1,
// 3, 7 s (bench/capacity.ts's failover counted 4,901 resolves of 6,372 clients left unanswered).
// Linux caps it at net.core.somaxconn (4096 on current kernels).
export const LISTEN_BACKLOG = 4096;
