// The `Number(digits of the IP) % n` formula of classic Node cluster examples (the sticky-session
// `worker_index(ip, len)` loop that keeps the characters where `!isNaN(ip[i])`), as a peer for the
// routing-quality benchmark. It is taken as written, flaws included:
// - IPv4: the digits of 1.23.4.5 and 12.3.4.5 are the same number, and `% n` looks mostly at the last
//   octet; only the workers' position in the list matters, so removing one reshuffles almost everyone.
// - IPv6: hex letters and colons are dropped. The digit string of a random full address is about
//   20 digits long (13 to 26 for 98% of them), beyond 2^53, so Number() rounds it to a multiple of a
//   power of two (2^12 for the median address): with a power-of-two worker count most IPv6 clients get
//   worker 0 (93% at n = 2, 77% at n = 64), and with other counts the answer depends on rounding,
//   not on the client. It never reaches Infinity (39 digits at most) nor NaN (only digits are left;
//   `::` gives '', which is 0: worker 0).
// Non-digits are stripped with a regular expression, which is the same as that loop for IP text.

/** The worker index in [0, n) for this address text. */
export function ipModulo(address: string, n: number): number {
  return Number(address.replace(/\D/g, '')) % n;
}

export interface IpModulo {
  readonly workers: readonly string[];
  /** The worker for this address text, or undefined when there is none. */
  select(address: string): string | undefined;
}

export function createIpModulo(workers: readonly string[]): IpModulo {
  const list = [...workers];
  return { workers: list, select: (address) => (list.length === 0 ? undefined : list[ipModulo(address, list.length)]) };
}
