#!/usr/bin/env node
// `pnpm soak [--minutes N]`: the fault suite's soak test for N minutes (default 10), on its own.
// CI runs the same test for 1 minute as part of `pnpm test`.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } }, strict: true });
const minutes = Number(values.minutes);
if (!(Number.isFinite(minutes) && minutes > 0)) {
  console.error(`--minutes takes a positive number, not ${values.minutes}`);
  process.exit(2);
}
const result = spawnSync('pnpm', ['vitest', 'run', '--project', 'integration', 'packages/cluster/test/faults/soak.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, SOAK_MINUTES: String(minutes) },
});
process.exit(result.status ?? 1);
