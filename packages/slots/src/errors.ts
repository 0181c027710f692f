import { RedisError } from '@hashslot/resp';

/** A CLUSTER SHARDS or CLUSTER SLOTS reply that does not have the shape the server documents. */
export class SlotMapError extends RedisError {
  override readonly code: string = 'ERR_HASHSLOT_SLOT_MAP';
  /** `host:port` of the node whose reply it was. */
  readonly address: string;

  constructor(message: string, address: string) {
    super(`${message} (in the reply of ${address})`);
    this.address = address;
  }
}
