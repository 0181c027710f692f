/**
 * The Lua scripts the client-side versions of cross-slot commands run, each on one slot.
 *
 * Why scripts rather than plain commands:
 * - A client made with `decodeResponses: true` reads bulk strings as UTF-8, which loses any byte
 *   sequence that is not UTF-8 (a DUMP payload, a HyperLogLog, a binary member). Data that is
 *   written back or compared must keep its bytes, so these scripts can send bulk strings as hex.
 * - EVAL goes to the master, so what a write is computed from is never a replica's stale copy.
 * - A script is atomic on its node: a type and a value read together, a destination deleted and
 *   refilled, temporary keys created and deleted without anyone seeing them.
 *
 * Errors of the commands inside are returned with `redis.pcall`, so that the caller sees the
 * server's own message (`WRONGTYPE Operation against a key ...`), not one wrapped by the script
 * runner.
 */

/** `hex(s)`: a Lua string as lower-case hex. `string.byte` takes slices so the C stack (8000 slots) is never exceeded. */
const HEX = `
local function hex(s)
  local parts = {}
  for i = 1, #s, 4096 do
    local j = math.min(i + 4095, #s)
    parts[#parts + 1] = string.format(string.rep('%02x', j - i + 1), string.byte(s, i, j))
  end
  return table.concat(parts)
end
local function encode(value)
  if type(value) == 'string' then return hex(value) end
  if type(value) == 'table' and value.ok == nil and value.err == nil then
    for i = 1, #value do value[i] = encode(value[i]) end
  end
  return value
end
`;

/**
 * Any read: `EVAL READ numkeys key... hexFlag command arg...` runs `command key... arg...`.
 * With hexFlag '1' every bulk string of the reply (nested ones included) comes back as hex;
 * status replies and errors are left alone.
 */
export const READ = `${HEX}
local args = { ARGV[2] }
for i = 1, #KEYS do args[#args + 1] = KEYS[i] end
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local reply = redis.pcall(unpack(args))
if ARGV[1] == '1' then return encode(reply) end
return reply
`;

/**
 * A sorted-set source of ZUNIONSTORE and friends, its type and its content read at once:
 * `{ 'zset', { member, score, ... } }`, `{ 'set', { member, ... } }` (a set counts as members of
 * score 1), `{ 'none', {} }`, or the server's WRONGTYPE error. hexFlag as in READ (members and
 * scores both).
 */
export const SORTED_SET_SOURCE = `${HEX}
local kind = redis.call('TYPE', KEYS[1]).ok
local content
if kind == 'zset' then
  content = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
elseif kind == 'set' then
  content = redis.call('SMEMBERS', KEYS[1])
elseif kind == 'none' then
  content = {}
else
  return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')
end
if ARGV[1] == '1' then content = encode(content) end
return { kind, content }
`;

/**
 * What RENAME needs of its source, read at once: `{ payload, pexpiretime }` (DUMP, and the
 * absolute expiry in ms or -1), or nil when the key does not exist. hexFlag as in READ.
 */
export const SNAPSHOT = `${HEX}
local payload = redis.call('DUMP', KEYS[1])
if not payload then return false end
local expiry = redis.call('PEXPIRETIME', KEYS[1])
if ARGV[1] == '1' then payload = hex(payload) end
return { payload, expiry }
`;

/**
 * Replaces KEYS[1] with a value built from ARGV[2...]: ARGV[1] is 'set' (members), 'zset'
 * (score, member pairs) or 'list' (elements, head first). An empty value deletes the key, as the
 * server's *STORE commands do. Returns the size stored.
 *
 * The shebang makes the server check memory before the script starts (a script without one is
 * only stopped at its first denied write, after the DEL). Arguments go in slices of 1000
 * (500 score/member pairs): `unpack` of more would exceed the Lua C stack.
 */
export const REPLACE = `#!lua
local kind = ARGV[1]
redis.call('DEL', KEYS[1])
local command = 'RPUSH'
if kind == 'set' then command = 'SADD' elseif kind == 'zset' then command = 'ZADD' end
for i = 2, #ARGV, 1000 do
  redis.call(command, KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if kind == 'set' then return redis.call('SCARD', KEYS[1]) end
if kind == 'zset' then return redis.call('ZCARD', KEYS[1]) end
return redis.call('LLEN', KEYS[1])
`;

/**
 * Runs ARGV[1] (PFCOUNT or PFMERGE) over every key of KEYS, after setting the last #ARGV - 1 keys
 * (temporary copies of HyperLogLogs from other slots) to ARGV[2...], and deletes those copies
 * again before returning: nobody sees them, and none is left behind if the command fails.
 */
export const WITH_COPIES = `#!lua
local copies = #ARGV - 1
local first = #KEYS - copies
for i = 1, copies do redis.call('SET', KEYS[first + i], ARGV[i + 1]) end
local reply = redis.pcall(ARGV[1], unpack(KEYS))
for i = 1, copies do redis.call('DEL', KEYS[first + i]) end
return reply
`;
