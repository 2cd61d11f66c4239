/** Environment variables through which the supervisor tells a child what it is. Internal. */
export const CHILD_ENV = {
  role: 'SIOROUTE_ROLE',
  index: 'SIOROUTE_INDEX',
  config: 'SIOROUTE_CONFIG',
  secret: 'SIOROUTE_ROUTING_SECRET',
  frontPort: 'SIOROUTE_FRONT_PORT',
} as const;

/** The environment a child is forked with. The secret travels on its own (the child deletes it once read). */
export function childEnv(child: { role: string; index: number }, config: object, secret: string, frontPort: number | undefined): Record<string, string> {
  const env: Record<string, string> = {
    [CHILD_ENV.role]: child.role,
    [CHILD_ENV.index]: String(child.index),
    [CHILD_ENV.config]: JSON.stringify({ ...config, routingSecret: undefined }),
    [CHILD_ENV.secret]: secret,
  };
  // A respawned front keeps the port it had, so open pages can still reach it.
  if (frontPort !== undefined) env[CHILD_ENV.frontPort] = String(frontPort);
  return env;
}
