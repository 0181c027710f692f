export { crc16, crc16Bytes, crc16Utf8 } from './crc16.js';
export { CrossSlotError, SlotMapError } from './errors.js';
export { hashTag, keySlot, SLOT_COUNT } from './key-slot.js';
export { SlotMap } from './slot-map.js';
export type { Shard, ShardNode, SlotMapSource } from './slot-map.js';
export { commandKeys, commandSlot, lookupCommand } from './commands.js';
export type { BeginSearch, CommandInfo, FindKeys, KeySpec, RequestPolicy, ResponsePolicy } from './command-info.js';
export { COMMAND_TABLE_REDIS_VERSION } from './command-table.data.js';
export { keyBytes } from './command-arguments.js';
