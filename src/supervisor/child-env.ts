/** Environment variables through which the supervisor tells a child what it is. Internal. */
export const CHILD_ENV = {
  role: 'SIOROUTE_ROLE',
  index: 'SIOROUTE_INDEX',
  config: 'SIOROUTE_CONFIG',
  secret: 'SIOROUTE_ROUTING_SECRET',
  frontPort: 'SIOROUTE_FRONT_PORT',
} as const;
