/**
 * The hashslot tour: boots a real Redis Cluster on this machine and shows each finished layer
 * talking to it. It grows with the client; today it shows the RESP layer.
 */
import { inspect } from 'node:util';
import { Connection, ReplyError, RespParser, type RespReply } from '@hashslot/resp';
import { startCluster, type TestCluster } from '@hashslot/test-cluster';

function section(title: string): void {
  console.log(`\n== ${title}`);
}

async function tour(cluster: TestCluster): Promise<void> {
  section('The cluster test-cluster booted');
  for (const node of cluster.nodes) {
    const slots = node.slots.map((range) => `${range.start}-${range.end}`).join(',');
    console.log(`  ${node.role.padEnd(7)} ${node.host}:${node.port}  ${node.id.slice(0, 8)}  ${slots}`);
  }

  const masters = cluster.masters();
  const connections = new Map<string, Connection>();
  const connectionTo = (host: string, port: number): Connection => {
    const address = `${host}:${port}`;
    let conn = connections.get(address);
    if (conn === undefined) {
      conn = new Connection({ host, port, clientName: 'hashslot-demo', commandTimeout: 2000 });
      connections.set(address, conn);
    }
    return conn;
  };

  try {
    const first = connectionTo(masters[0].host, masters[0].port);
    section('One connection, one node');
    const info = (await first.send(['CLUSTER', 'INFO'])) as string;
    console.log(`  CLUSTER INFO: ${info.split('\r\n').filter((line) => /state|slots_assigned|known_nodes/.test(line)).join(', ')}`);

    section('A key on the wrong node: the server answers MOVED, as a ReplyError value');
    const key = 'user:1000';
    const slot = (await first.send(['CLUSTER', 'KEYSLOT', key])) as number;
    const owner = masters.find((node) => node.slots.some((range) => slot >= range.start && slot <= range.end));
    const stranger = masters.find((node) => node !== owner) ?? masters[0];
    const wrong = connectionTo(stranger.host, stranger.port);
    const moved = await wrong.send(['SET', key, 'Ada']).catch((error: unknown) => error);
    if (!(moved instanceof ReplyError)) throw new Error('expected a MOVED reply');
    console.log(`  SET ${key} on ${wrong.address} -> ${moved.prefix}: "${moved.message}" (command ${moved.command})`);
    const [, , target] = moved.message.split(' ');
    const [host, port] = target.split(':');
    const right = connectionTo(host, Number(port));
    console.log(`  following it to ${right.address}: SET -> ${String(await right.send(['SET', key, 'Ada']))}, GET -> ${String(await right.send(['GET', key]))}`);
    console.log('  (the cluster client of the next layer follows redirections by itself)');

    section('Automatic pipelining: 10,000 concurrent commands, one hash tag, one node');
    const tagSlot = (await first.send(['CLUSTER', 'KEYSLOT', '{demo}'])) as number;
    const tagOwner = masters.find((node) => node.slots.some((range) => tagSlot >= range.start && tagSlot <= range.end)) ?? masters[0];
    const pipelined = connectionTo(tagOwner.host, tagOwner.port);
    const started = performance.now();
    const replies = await Promise.all(Array.from({ length: 10_000 }, (_, i) => pipelined.send(['INCR', `{demo}:counter:${i % 10}`])));
    const elapsed = performance.now() - started;
    console.log(`  ${replies.length} INCRs in ${elapsed.toFixed(1)} ms (${Math.round(replies.length / (elapsed / 1000)).toLocaleString('en-US')} commands/s); last reply ${String(replies.at(-1))}`);

    section('sendBatch: one write, one result per position, errors in place');
    const batch = await pipelined.sendBatch([
      ['SET', '{demo}:name', 'hashslot'],
      ['LPUSH', '{demo}:name', 'oops'],
      ['GET', '{demo}:name'],
    ]);
    batch.forEach((reply, i) => console.log(`  [${i}] ${reply instanceof Error ? `${reply.name}: ${reply.message}` : JSON.stringify(reply)}`));

    section('The parser alone, fed one byte at a time');
    const parsed: RespReply[] = [];
    const parser = new RespParser({ onReply: (reply) => parsed.push(reply) });
    for (const byte of Buffer.from('*3\r\n$5\r\nhello\r\n:42\r\n-ERR nope\r\n')) parser.feed(Buffer.from([byte]));
    console.log(`  ${inspect(parsed, { breakLength: Infinity })}`);
  } finally {
    await Promise.all([...connections.values()].map((conn) => conn.quit()));
  }
}

async function main(): Promise<void> {
  console.log('Booting a Redis Cluster (3 masters, 3 replicas) on loopback ports...');
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  try {
    await tour(cluster);
  } finally {
    await cluster.stop();
    console.log('\nCluster stopped; no process or temp dir left behind.');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
