#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';
import { errorMessage } from './errors.js';
import type { TestCluster } from './types.js';

const USAGE = `Usage: node test-cluster/dist/cli.js [--masters N] [--replicas N] [--tls] [--password P]

Boots a local Redis Cluster, prints how to reach it, and keeps it up until Ctrl-C or SIGTERM.`;

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return parsed;
}

/** Single quotes for a POSIX shell, so the printed command can be pasted as is. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function describe(cluster: TestCluster): string {
  const lines = ['', 'role     id                                        address           slots'];
  const byRole = [...cluster.masters(), ...cluster.replicas()];
  for (const node of byRole) {
    const slots = node.role === 'master'
      ? node.slots.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',')
      : `replica of ${node.masterId?.slice(0, 8) ?? '?'}`;
    lines.push(`${node.role.padEnd(8)} ${node.id}  ${`${node.host}:${node.port}`.padEnd(17)} ${slots}`);
  }
  const first = cluster.startupNodes[0];
  const flags: string[] = [];
  if (cluster.tls) flags.push(`--tls --cacert ${cluster.tls.caFile} --cert ${cluster.tls.certFile} --key ${cluster.tls.keyFile}`);
  // REDISCLI_AUTH rather than --pass: a password in argv shows in `ps` for anyone on the machine.
  const env = cluster.password === undefined ? '' : `REDISCLI_AUTH=${shellQuote(cluster.password)} `;
  lines.push('', 'Connect with:', `  ${env}redis-cli -c -h ${first.host} -p ${first.port}${flags.length ? ` ${flags.join(' ')}` : ''}`);
  lines.push(`Startup nodes: ${cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(' ')}`);
  lines.push(`Files: ${cluster.runDir}`, '', 'Ctrl-C stops the cluster and removes its files.');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      masters: { type: 'string' },
      replicas: { type: 'string' },
      tls: { type: 'boolean', default: false },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const masters = count(values.masters, 3, 'masters');
  const replicasPerMaster = count(values.replicas, 1, 'replicas');
  console.log(`Starting ${masters} masters with ${replicasPerMaster} replica(s) each...`);
  const cluster = await startCluster({ masters, replicasPerMaster, tls: values.tls, password: values.password });
  console.log(describe(cluster));

  await new Promise<void>((resolve) => {
    // Signal listeners do not keep Node alive, and the server processes are unref'd on purpose.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const shutdown = (signal: NodeJS.Signals): void => {
      clearInterval(keepAlive);
      console.log(`\n${signal}: stopping the cluster...`);
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      resolve();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  await cluster.stop();
  console.log('Stopped.');
}

main().catch((error: unknown) => {
  console.error(errorMessage(error));
  process.exitCode = 1;
});
