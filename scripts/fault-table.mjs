#!/usr/bin/env node
// Rewrites the README's fault table (between the faults:start and faults:end markers) from the
// fault suite's last run, packages/cluster/test/faults/results.json.
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const records = JSON.parse(readFileSync(new URL('packages/cluster/test/faults/results.json', root), 'utf8'));
const readmeUrl = new URL('README.md', root);
const readme = readFileSync(readmeUrl, 'utf8');
const START = '<!-- faults:start -->';
const END = '<!-- faults:end -->';
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < from) throw new Error(`README.md has no ${START} ... ${END} section`);

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const errors = (counts) =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ') || 'none';
const recovery = (ms) => {
  if (ms === undefined) return '';
  if (ms === 0) return 'no errors';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
};
const lines = [
  START,
  '',
  `Last run: ${records.map((record) => record.recordedAt).sort().at(-1)?.slice(0, 10) ?? 'never'}.`,
  '',
  '| # | scenario | what we promise | commands | errors by type | lost acknowledged writes | recovery |',
  '| --- | --- | --- | --: | --- | --- | --: |',
  ...records.map((record) =>
    `| ${cell(record.id.split(' ')[0])} | ${cell(record.scenario)} | ${cell(record.promise)} | ${record.commands.toLocaleString('en-US')} | ${cell(errors(record.errors))} | ${record.lostAcknowledged}${record.lostNote ? ` (${cell(record.lostNote)})` : ''} | ${recovery(record.recoveryMs)} |`,
  ),
  '',
  END,
];
writeFileSync(readmeUrl, readme.slice(0, from) + lines.join('\n') + readme.slice(to + END.length));
console.log(`README.md: fault table of ${records.length} scenarios`);
