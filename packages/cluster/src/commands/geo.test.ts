import { InvalidArgumentError } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { geoDefinitions as G } from './geo.js';

const b = (text: string): Buffer => Buffer.from(text);

describe('geo commands', () => {
  it('GEOADD with NX/XX and CH', () => {
    const palermo = { longitude: 13.361389, latitude: 38.115556, member: 'Palermo' };
    expect(G.geoadd.build('g', [palermo], undefined)).toEqual(['GEOADD', 'g', 13.361389, 38.115556, 'Palermo']);
    expect(G.geoadd.build('g', [palermo], { nx: true, ch: true })).toEqual(['GEOADD', 'g', 'NX', 'CH', 13.361389, 38.115556, 'Palermo']);
    expect(G.geoadd.build('g', [palermo], { xx: true })).toEqual(['GEOADD', 'g', 'XX', 13.361389, 38.115556, 'Palermo']);
    expect(() => G.geoadd.build('g', [palermo], { nx: true, xx: true })).toThrow('GEOADD: options nx and xx cannot be used together');
    expect(() => G.geoadd.build('g', [], undefined)).toThrow('GEOADD: needs at least one member');
  });

  it('GEODIST, GEOHASH and GEOPOS', () => {
    expect(G.geodist.build('g', 'a', 'b', undefined)).toEqual(['GEODIST', 'g', 'a', 'b']);
    expect(G.geodist.build('g', 'a', 'b', 'km')).toEqual(['GEODIST', 'g', 'a', 'b', 'km']);
    expect(() => G.geodist.build('g', 'a', 'b', 'yd' as 'm')).toThrow('GEODIST: unit must be one of m, km, ft, mi; got "yd"');
    expect(G.geodist.transform('166.2742')).toBe(166.2742);
    expect(G.geodist.transform(b('0.5'))).toBe(0.5);
    expect(G.geodist.transform(null)).toBeNull();
    expect(G.geohash.build('g', 'a', 'b')).toEqual(['GEOHASH', 'g', 'a', 'b']);
    expect(G.geohash.transform(['sqc8b49rny0', null])).toEqual(['sqc8b49rny0', null]);
    expect(G.geohash.transform([b('sqc8b49rny0')])).toEqual(['sqc8b49rny0']);
    expect(G.geopos.build('g', 'a')).toEqual(['GEOPOS', 'g', 'a']);
    const reply = [['13.36138933897018433', '38.11555639549629859'], null];
    expect(G.geopos.transform(reply)).toEqual([[13.361389338970184, 38.1155563954963], null]);
    expect(G.geopos.transform([[b('1.5'), b('-2')], null])).toEqual([[1.5, -2], null]);
  });

  it('GEOSEARCH from a member or a position, by radius or box, with order, COUNT and ANY', () => {
    expect(G.geosearch.build('g', { member: 'Palermo' }, { radius: 100, unit: 'km' }, undefined)).toEqual([
      'GEOSEARCH', 'g', 'FROMMEMBER', 'Palermo', 'BYRADIUS', 100, 'km',
    ]);
    const box = { width: 400, height: 200, unit: 'mi' } as const;
    expect(G.geosearch.build('g', { longitude: 15, latitude: 37 }, box, { order: 'DESC', count: 3, any: true })).toEqual([
      'GEOSEARCH', 'g', 'FROMLONLAT', 15, 37, 'BYBOX', 400, 200, 'mi', 'DESC', 'COUNT', 3, 'ANY',
    ]);
    expect(() => G.geosearch.build('g', { member: 'a' }, { radius: 1, unit: 'm' }, { any: true })).toThrow('GEOSEARCH: option any needs option count');
    expect(() => G.geosearch.build('g', {} as never, { radius: 1, unit: 'm' }, undefined)).toThrow(/from needs member/);
    expect(() => G.geosearch.build('g', { member: 'a' }, {} as never, undefined)).toThrow(/by needs radius/);
    expect(() => G.geosearch.build('g', { member: 'a' }, { radius: 1, unit: 'm' }, { count: 0 })).toThrow(InvalidArgumentError);
  });

  it('geosearchWith asks for what it is told and needs at least one of them', () => {
    const from = { longitude: 15, latitude: 37 };
    const by = { radius: 200, unit: 'km' as const };
    expect(G.geosearchWith.build('g', from, by, { withCoord: true, withDist: true, withHash: true, order: 'ASC' })).toEqual([
      'GEOSEARCH', 'g', 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH',
    ]);
    expect(G.geosearchWith.build('g', from, by, { withDist: true })).toEqual([
      'GEOSEARCH', 'g', 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'WITHDIST',
    ]);
    expect(() => G.geosearchWith.build('g', from, by, {})).toThrow(/needs withCoord, withDist or withHash/);
  });

  it('geosearchWith results carry only the fields asked for, told apart by type', () => {
    const all = [['Catania', '56.4413', 3479447370796909, ['15.08726745843887329', '37.50266842333162032']]];
    expect(G.geosearchWith.transform(all)).toEqual([
      { member: 'Catania', distance: 56.4413, hash: 3479447370796909, position: [15.087267458438873, 37.50266842333162] },
    ]);
    expect(G.geosearchWith.transform([[b('Catania'), b('56.4413')]])).toEqual([{ member: b('Catania'), distance: 56.4413 }]);
    expect(G.geosearchWith.transform([['Catania', 3479447370796909]])).toEqual([{ member: 'Catania', hash: 3479447370796909 }]);
    expect(G.geosearchWith.transform([[b('Catania'), [b('15'), b('37')]]])).toEqual([{ member: b('Catania'), position: [15, 37] }]);
  });

  it('GEOSEARCHSTORE with STOREDIST', () => {
    expect(G.geosearchstore.build('d', 's', { member: 'a' }, { radius: 5, unit: 'ft' }, { count: 2, storeDist: true })).toEqual([
      'GEOSEARCHSTORE', 'd', 's', 'FROMMEMBER', 'a', 'BYRADIUS', 5, 'ft', 'COUNT', 2, 'STOREDIST',
    ]);
    expect(G.geosearchstore.build('d', 's', { member: 'a' }, { radius: 5, unit: 'ft' }, undefined)).toEqual([
      'GEOSEARCHSTORE', 'd', 's', 'FROMMEMBER', 'a', 'BYRADIUS', 5, 'ft',
    ]);
  });
});
