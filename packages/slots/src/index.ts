export { crc16, crc16Bytes, crc16Utf8 } from './crc16.js';
export { hashTag, keySlot, SLOT_COUNT } from './key-slot.js';
