#!/usr/bin/env node
/**
 * Regenerates src/command-table.data.ts from a real redis-server's `COMMAND` reply.
 *
 *   pnpm build && pnpm --filter @hashslot/slots generate:commands
 *
 * Boots a throw-away standalone server (REDIS_SERVER_BIN picks another binary), reads COMMAND
 * and the server version, stops the server, and writes the rows sorted by name so that two runs
 * against the same version produce the same bytes. The row format is `CommandRow` in
 * src/command-row.ts; the reply format is documented at
 * https://redis.io/docs/latest/commands/command/ and
 * https://redis.io/docs/latest/develop/reference/key-specs/
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Connection } from '@hashslot/resp';
import { startServer } from '@hashslot/test-cluster';

const OUTPUT = fileURLToPath(new URL('../src/command-table.data.ts', import.meta.url));

class ShapeError extends Error {}

function expectArray(value, what) {
  if (!Array.isArray(value)) throw new ShapeError(`${what}: expected an array, got ${JSON.stringify(value)}`);
  return value;
}

function expectString(value, what) {
  if (typeof value !== 'string') throw new ShapeError(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function expectInteger(value, what) {
  if (!Number.isInteger(value)) throw new ShapeError(`${what}: expected an integer, got ${JSON.stringify(value)}`);
  return value;
}

/** RESP2 has no map type: the server flattens maps into [key, value, key, value ...]. */
function flatMap(value, what) {
  const items = expectArray(value, what);
  if (items.length % 2 !== 0) throw new ShapeError(`${what}: a flattened map needs an even length, got ${items.length}`);
  const map = new Map();
  for (let i = 0; i < items.length; i += 2) map.set(expectString(items[i], `${what} field name`), items[i + 1]);
  return map;
}

function field(map, name, what) {
  if (!map.has(name)) throw new ShapeError(`${what}: missing field ${name}`);
  return map.get(name);
}

function beginSearchRow(value, what) {
  const map = flatMap(value, what);
  const type = expectString(field(map, 'type', what), `${what} type`);
  const spec = flatMap(field(map, 'spec', what), `${what} spec`);
  switch (type) {
    case 'index':
      return ['index', expectInteger(field(spec, 'index', what), `${what} index`)];
    case 'keyword':
      return [
        'keyword',
        expectString(field(spec, 'keyword', what), `${what} keyword`),
        expectInteger(field(spec, 'startfrom', what), `${what} startfrom`),
      ];
    case 'unknown':
      return ['unknown'];
    default:
      throw new ShapeError(`${what}: unknown begin_search type ${type}`);
  }
}

function findKeysRow(value, what) {
  const map = flatMap(value, what);
  const type = expectString(field(map, 'type', what), `${what} type`);
  const spec = flatMap(field(map, 'spec', what), `${what} spec`);
  switch (type) {
    case 'range':
      return [
        'range',
        expectInteger(field(spec, 'lastkey', what), `${what} lastkey`),
        expectInteger(field(spec, 'keystep', what), `${what} keystep`),
        expectInteger(field(spec, 'limit', what), `${what} limit`),
      ];
    case 'keynum':
      return [
        'keynum',
        expectInteger(field(spec, 'keynumidx', what), `${what} keynumidx`),
        expectInteger(field(spec, 'firstkey', what), `${what} firstkey`),
        expectInteger(field(spec, 'keystep', what), `${what} keystep`),
      ];
    case 'unknown':
      return ['unknown'];
    default:
      throw new ShapeError(`${what}: unknown find_keys type ${type}`);
  }
}

function keySpecRow(value, what) {
  const map = flatMap(value, what);
  // `notes` is prose for humans; it is not shipped.
  const flags = expectArray(field(map, 'flags', what), `${what} flags`).map((flag) => expectString(flag, `${what} flag`));
  return [flags, beginSearchRow(field(map, 'begin_search', what), `${what} begin_search`), findKeysRow(field(map, 'find_keys', what), `${what} find_keys`)];
}

/** One COMMAND entry and, recursively, its subcommands, as rows. */
function commandRows(entry, rows) {
  const items = expectArray(entry, 'COMMAND entry');
  if (items.length < 10) throw new ShapeError(`COMMAND entry has ${items.length} fields, expected 10 (Redis 7+)`);
  const name = expectString(items[0], 'command name').toLowerCase();
  const what = `command ${name}`;
  rows.push([
    name,
    expectInteger(items[1], `${what} arity`),
    expectArray(items[2], `${what} flags`).map((flag) => expectString(flag, `${what} flag`)),
    expectInteger(items[3], `${what} first key`),
    expectInteger(items[4], `${what} last key`),
    expectInteger(items[5], `${what} step`),
    expectArray(items[8], `${what} key specs`).map((spec, i) => keySpecRow(spec, `${what} key spec ${i}`)),
    expectArray(items[7], `${what} tips`).map((tip) => expectString(tip, `${what} tip`)),
  ]);
  for (const sub of expectArray(items[9], `${what} subcommands`)) commandRows(sub, rows);
}

function render(rows, version) {
  const lines = [
    '// GENERATED FILE, do not edit by hand.',
    `// Generated by packages/slots/scripts/generate-command-table.mjs from redis-server ${version}'s COMMAND reply.`,
    '// Regenerate: pnpm build && pnpm --filter @hashslot/slots generate:commands',
    "import type { CommandRow } from './command-row.js';",
    '',
    '/** Version of the redis-server whose COMMAND reply this table is. */',
    `export const COMMAND_TABLE_REDIS_VERSION = '${version}';`,
    '',
    '/** Every command and subcommand, sorted by name. Row format: `CommandRow`. */',
    'export const COMMAND_ROWS: readonly CommandRow[] = [',
    ...rows.map((row) => `  ${JSON.stringify(row).replaceAll('"', "'")},`),
    '];',
    '',
  ];
  return lines.join('\n');
}

async function main() {
  const server = await startServer();
  let rows;
  let version;
  try {
    const conn = new Connection({ host: server.host, port: server.port });
    try {
      await conn.connect();
      const info = expectString(await conn.send(['INFO', 'server']), 'INFO server');
      const match = /^redis_version:(\S+)/m.exec(info);
      if (!match) throw new ShapeError('INFO server has no redis_version line');
      version = match[1];
      rows = [];
      for (const entry of expectArray(await conn.send(['COMMAND']), 'COMMAND')) commandRows(entry, rows);
    } finally {
      await conn.quit();
    }
  } finally {
    await server.stop();
  }
  // Code-unit order, not localeCompare: the output must not depend on the machine's locale.
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const row of rows) {
    // Single quotes are used as the string delimiter in the output.
    if (JSON.stringify(row).includes("'")) throw new ShapeError(`row ${row[0]} contains a single quote`);
  }
  await writeFile(OUTPUT, render(rows, version));
  console.log(`wrote ${rows.length} commands from redis-server ${version} to ${OUTPUT}`);
}

await main();
