/** A one-line reason for a failed listen, naming the setting that chose the address. */
export function listenFailure(who: string, host: string, port: number, setting: string, error: unknown): string {
  const code = (error as { code?: string }).code;
  const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EADDRNOTAVAIL' ? 'the address is not available on this machine' : code === 'EACCES' ? 'permission denied' : String((error as Error).message ?? error);
  return `${who} cannot listen on ${host}:${port} (${setting}): ${why}`;
}
