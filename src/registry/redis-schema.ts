// Where membership lives in Redis. A worker's record is a key with a TTL that its heartbeat renews
// (Redis's own clock expires it, so hosts need no synchronised clocks); a set lists the ids, so a
// front reads everything with SMEMBERS + MGET instead of scanning the keyspace; a channel tells
// fronts that something changed between their periodic full reads.

export const MEMBERS_SET = 'sioroute:members';
export const MEMBERSHIP_CHANNEL = 'sioroute:membership';
export const recordKey = (workerId: string) => `sioroute:worker:${workerId}`;

/** A worker renews its record this often... */
export const REGISTRY_HEARTBEAT_MS = 500;
/**
 * ...and the record expires this long after the last renewal (three missed beats). Short, because
 * a front routes to a dead worker until then; a worker briefly out of routing loses no client
 * (routing only decides where new connections go).
 */
export const RECORD_TTL_MS = 1500;
/** Fronts read the whole membership this often, besides reading it on every notification. */
export const MEMBERSHIP_REFRESH_MS = 500;

/**
 * Write the record unless another live instance owns the id. KEYS: record key, members set.
 * ARGV: record JSON, instance, TTL ms, id. Returns 1 when written, 0 when the id is taken.
 */
export const REGISTER_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and decoded.instance ~= ARGV[2] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return 1
`;

/** Delete the record only if this instance owns it. KEYS: record key, members set. ARGV: instance, id. */
export const UNREGISTER_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and decoded.instance ~= ARGV[1] then return 0 end
  redis.call('DEL', KEYS[1])
end
redis.call('SREM', KEYS[2], ARGV[2])
return 1
`;
