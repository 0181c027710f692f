/** The RESP benchmark's outputs: a markdown report and a JSON file of the raw data. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import type { StreamSummary } from './summary.js';

export interface RunInfo {
  readonly date: string;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cpus: number;
  /** One-minute load average when the run began. */
  readonly loadAverage: number;
  readonly rounds: number;
  readonly warmupRounds: number;
  readonly quick: boolean;
  readonly chunkSize: number;
  /** npm package and version of each contender, ours first. */
  readonly packages: readonly string[];
}

export function markdownReport(summaries: readonly StreamSummary[], info: RunInfo): string {
  const names = summaries[0]?.contenders.map((contender) => contender.name) ?? [];
  const [ours, ...peers] = names;
  const lines: string[] = [
    `## RESP2 parser throughput`,
    '',
    `Median of ${info.rounds} alternating runs per parser after ${info.warmupRounds} warm-up rounds, ` +
      `${info.chunkSize / 1024} KiB chunks, ` +
      `bulk strings decoded to UTF-8 strings. ${info.packages.join(', ')}; node ${info.node}, ${info.cpu} ` +
      `x${info.cpus}, load ${info.loadAverage.toFixed(2)} at start.`,
    '',
    row(['stream', ...names.map((name) => `${name} replies/s`), ...peers.map((peer) => `vs ${peer}`), `MB/s (${names.join(' / ')})`]),
    row(['---', ...names.map(() => '--:'), ...peers.map(() => '--:'), '--:']),
  ];
  for (const summary of summaries) {
    lines.push(
      row([
        summary.stream,
        ...summary.contenders.map((contender) => rate(contender.repliesPerSecond)),
        ...peers.map((peer) => times(summary.ratios[peer])),
        summary.contenders.map((contender) => contender.megabytesPerSecond.toFixed(0)).join(' / '),
      ]),
    );
  }
  const verdicts = summaries.filter((summary) => summary.target !== undefined);
  if (verdicts.length > 0) {
    lines.push(
      '',
      `### Targets (${ours} over ${verdicts[0].target?.peer})`,
      '',
      row(['stream', 'target', 'ratio', 'run spread', 'verdict']),
      row(['---', '--:', '--:', '--:', '---']),
    );
    for (const summary of verdicts) {
      const target = summary.target;
      if (target === undefined) continue;
      // The larger spread of the two parsers compared: a margin smaller than it is noise.
      const spread = Math.max(
        ...summary.contenders.filter((c) => c.name === ours || c.name === target.peer).map((c) => c.spread),
      );
      lines.push(
        row([
          summary.stream,
          `>= ${times(target.minimum)}`,
          times(target.ratio),
          `${(spread * 100).toFixed(0)}%`,
          target.met ? 'met' : '**missed**',
        ]),
      );
    }
    const missed = verdicts.filter((summary) => summary.target?.met === false).length;
    lines.push('', missed === 0 ? 'All targets met.' : `${missed} of ${verdicts.length} targets missed.`);
  }
  return lines.join('\n');
}

/** Writes the raw data, whole or not at all (through a temporary file). */
export async function writeJsonReport(
  summaries: readonly StreamSummary[],
  info: RunInfo,
  file: URL,
): Promise<void> {
  await mkdir(new URL('.', file), { recursive: true });
  const temporary = new URL(`${file.href}.tmp`);
  await writeFile(temporary, `${JSON.stringify({ benchmark: 'resp', ...info, streams: summaries }, null, 2)}\n`);
  await rename(temporary, file);
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function rate(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M` : `${(perSecond / 1e3).toFixed(1)} k`;
}

function times(ratio: number | undefined): string {
  return ratio === undefined ? '-' : `${ratio.toFixed(2)}x`;
}
