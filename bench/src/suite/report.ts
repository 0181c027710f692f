/** The run as markdown: a summary of ours against the best peer, then one table per workload. */
import { relative, type ContenderResult, type SuiteResult, type WorkloadResult } from './results.js';

export function markdownReport(result: SuiteResult, chartFile: string | undefined): string {
  const { info } = result;
  const lines = [
    `# hashslot benchmarks${info.quick ? ' (quick run)' : ''}`,
    '',
    `${info.date.slice(0, 16).replace('T', ' ')} UTC; node ${info.node}, redis-server ${info.redisServer}, ${info.cpu} x${info.cpus} ` +
      `(load ${info.loadAverage.toFixed(2)} at start); one cluster of 3 masters and 3 replicas on this machine; ` +
      `median of ${info.rounds} rounds per client, order rotated each round; ${Math.round(info.durationSeconds)} s in all. ` +
      `Clients: ${info.packages.join(', ')}.`,
    '',
    '## Summary',
    '',
    row(['workload', 'hashslot', 'best peer', 'hashslot vs best peer', 'target', '']),
    row(['---', '--:', '---', '--:', '--:', '---']),
    ...result.workloads.map((workload) => {
      const ours = workload.contenders.find((contender) => contender.role === 'ours');
      const best = workload.contenders.find((contender) => contender.name === workload.bestPeer);
      return row([
        workload.title,
        ours === undefined ? '' : `${figure(ours.value)} ${workload.unit}`,
        best === undefined ? '' : `${best.name}: ${figure(best.value)}`,
        times(workload.ratio),
        workload.target === undefined ? '' : `>= ${times(workload.target)}`,
        workload.target === undefined ? '' : workload.ratio >= workload.target ? 'met' : '**missed**',
      ]);
    }),
    '',
    'Ratios are oriented so that above 1x means hashslot is better: throughput over throughput, or the peer\'s memory over ours.',
  ];
  if (chartFile !== undefined) lines.push('', `![Each client against the best peer, per workload](${chartFile})`);
  for (const workload of result.workloads) lines.push('', ...workloadSection(workload));
  return `${lines.join('\n')}\n`;
}

function workloadSection(workload: WorkloadResult): string[] {
  const ours = workload.contenders.find((contender) => contender.role === 'ours');
  return [
    `## ${workload.title}`,
    '',
    workload.method,
    '',
    row(['client', workload.unit, ...workload.extraColumns.map((column) => column.label), 'run spread', 'hashslot vs it']),
    row(['---', '--:', ...workload.extraColumns.map(() => '--:'), '--:', '--:']),
    ...workload.contenders.map((contender) =>
      row([
        contender.role === 'reference' ? `${contender.name} *(reference)*` : contender.name,
        figure(contender.value),
        ...workload.extraColumns.map((column) => extra(contender, column.key)),
        `${(contender.spread * 100).toFixed(0)}%`,
        ours === undefined || contender === ours ? '' : times(relative(workload.higherIsBetter, ours.value, contender.value)),
      ]),
    ),
  ];
}

function extra(contender: ContenderResult, key: string): string {
  const value = contender.extras[key];
  if (value === undefined || Number.isNaN(value)) return '';
  if (key === 'replicaShare') return `${(value * 100).toFixed(0)}%`;
  return figure(value);
}

/** Three significant digits below 1,000, whole numbers with separators above. */
export function figure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

export function times(ratio: number): string {
  return `${ratio.toFixed(2)}x`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}
