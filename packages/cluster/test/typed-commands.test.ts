import { describe, expect, expectTypeOf, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { InvalidArgumentError } from '@hashslot/cluster';
import { newClient } from './helpers.js';

const startupNodes = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));

describe('typed command methods through the cluster client', () => {
  it('route by key and shape replies: strings, hashes, sorted sets, streams, geo, scripts', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    expect(await client.set('typed:s', 'v', { ex: 60, nx: true })).toBe('OK');
    expect(await client.set('typed:s', 'w', { nx: true })).toBeNull();
    const value = await client.get('typed:s');
    expectTypeOf(value).toEqualTypeOf<string | null>();
    expect(value).toBe('v');
    expect(await client.incrby('typed:n', 5)).toBe(5);

    await client.del('typed:h');
    expect(await client.hset('typed:h', { a: '1', b: '2' })).toBe(2);
    expect(await client.hgetall('typed:h')).toEqual({ a: '1', b: '2' });

    await client.del('typed:z');
    await client.zadd('typed:z', [{ score: 1.5, member: 'one' }, { score: 2, member: 'two' }]);
    expect(await client.zscore('typed:z', 'one')).toBe(1.5);
    expect(await client.zrangeWithScores('typed:z', 0, -1)).toEqual([{ member: 'one', score: 1.5 }, { member: 'two', score: 2 }]);

    await client.del('typed:x');
    const id = await client.xadd('typed:x', '*', { f: 'v' });
    expect(typeof id).toBe('string');
    const read = await client.xread([{ key: 'typed:x', id: '0' }]);
    expect(read).toEqual([{ key: 'typed:x', entries: [{ id, fields: { f: 'v' } }] }]);

    await client.del('typed:g');
    await client.geoadd('typed:g', [{ longitude: 13.361389, latitude: 38.115556, member: 'Palermo' }]);
    const [position] = await client.geopos('typed:g', 'Palermo');
    expect(position?.[0]).toBeCloseTo(13.361389, 5);

    expect(await client.eval('return redis.call("GET", KEYS[1])', ['typed:s'])).toBe('v');
  });

  it('returns Buffers from the same methods with decodeResponses false', async () => {
    const client = newClient({ startupNodes: startupNodes(), decodeResponses: false });
    await client.set('typed:buffer', Buffer.from([1, 2, 3]));
    const value = await client.get('typed:buffer');
    expectTypeOf(value).toEqualTypeOf<Buffer | null>();
    expect(value).toEqual(Buffer.from([1, 2, 3]));
  });

  it('rejects a wrong argument before sending anything', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await expect(client.set('typed:bad', 'v', { nx: true, xx: true })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('runs BLPOP from its typed method on a dedicated connection', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await client.del('typed:q');
    const popped = client.blpop(['typed:q'], 5);
    await client.rpush('typed:q', 'job');
    expect(await popped).toEqual({ key: 'typed:q', element: 'job' });
  });
});
