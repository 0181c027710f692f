export { crc16, crc16Bytes, crc16Utf8 } from './crc16.js';
export { SlotMapError } from './errors.js';
export { hashTag, keySlot, SLOT_COUNT } from './key-slot.js';
export { SlotMap } from './slot-map.js';
export type { Shard, ShardNode, SlotMapSource } from './slot-map.js';
