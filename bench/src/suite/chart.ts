/**
 * An SVG bar chart of the run, drawn by hand so the bench needs no chart package: one group per
 * workload, one horizontal bar per client, each client's figure against the best peer's (1x), so
 * that workloads with different units share one axis. Higher is better throughout.
 */
import { relative, type SuiteResult } from './results.js';

const WIDTH = 860;
const LABEL_WIDTH = 240;
const BAR_HEIGHT = 16;
const BAR_GAP = 4;
const GROUP_GAP = 22;
const TOP = 62;
const RIGHT_MARGIN = 100;

const COLOURS: Readonly<Record<string, string>> = { ours: '#d9480f', peer: '#4c6ef5', reference: '#868e96' };

export function svgChart(result: SuiteResult): string {
  const bars = result.workloads.flatMap((workload) => {
    const best = workload.contenders.find((contender) => contender.name === workload.bestPeer);
    return workload.contenders.map((contender) => ({
      workload: workload.title,
      name: contender.name,
      role: contender.role,
      ratio: best === undefined ? Number.NaN : relative(workload.higherIsBetter, contender.value, best.value),
      target: contender.role === 'ours' ? workload.target : undefined,
    }));
  });
  // The C reference can be many times any Node client; its bars are cut at the axis end (their
  // labels keep the true figure) rather than squeezing every other bar.
  const scaled = bars.filter((bar) => bar.role !== 'reference' && Number.isFinite(bar.ratio));
  const maxRatio = Math.max(1, ...scaled.map((bar) => bar.ratio), ...bars.map((bar) => bar.target ?? 0));
  // A round axis end, so the gridlines fall on whole multiples.
  const axisMax = Math.ceil(maxRatio);
  const plotWidth = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
  const x = (ratio: number): number => LABEL_WIDTH + (Math.min(ratio, axisMax) / axisMax) * plotWidth;

  const parts: string[] = [];
  let y = TOP;
  for (const workload of result.workloads) {
    parts.push(text(8, y + 12, workload.title, 'font-weight="600"'));
    y += 20;
    for (const bar of bars.filter((candidate) => candidate.workload === workload.title)) {
      const end = Number.isFinite(bar.ratio) ? x(bar.ratio) : LABEL_WIDTH;
      const cut = bar.ratio > axisMax ? ' (cut)' : '';
      parts.push(
        text(LABEL_WIDTH - 8, y + BAR_HEIGHT - 4, bar.name, 'text-anchor="end"'),
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${(end - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLOURS[bar.role]}"/>`,
        text(end + 4, y + BAR_HEIGHT - 4, Number.isFinite(bar.ratio) ? `${bar.ratio.toFixed(2)}x${cut}` : 'n/a'),
      );
      if (bar.target !== undefined) {
        const tx = x(bar.target).toFixed(1);
        parts.push(`<line x1="${tx}" x2="${tx}" y1="${y - 2}" y2="${y + BAR_HEIGHT + 2}" stroke="#212529" stroke-width="2" stroke-dasharray="3 2"><title>target ${bar.target}x</title></line>`);
      }
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  const height = y;
  const grid: string[] = [];
  for (let tick = 0; tick <= axisMax; tick++) {
    const gx = x(tick).toFixed(1);
    grid.push(
      `<line x1="${gx}" x2="${gx}" y1="${TOP - 6}" y2="${height - GROUP_GAP}" stroke="${tick === 1 ? '#212529' : '#dee2e6'}" stroke-width="1"/>`,
      text(x(tick), TOP - 10, `${tick}x`, 'text-anchor="middle"'),
    );
  }
  const legend = [
    ['ours', 'hashslot'],
    ['peer', 'peers (Node clients)'],
    ['reference', 'redis-benchmark (C reference)'],
  ]
    .map(([role, label], index) => {
      const lx = 8 + index * 190;
      return `<rect x="${lx}" y="8" width="12" height="12" fill="${COLOURS[role]}"/>${text(lx + 16, 18, label)}`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    legend,
    text(8, 38, `Each client against the best peer (1x), higher is better; dashed: hashslot's target${result.info.quick ? '; quick run' : ''}`, 'fill="#495057"'),
    ...grid,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escapeXml(content)}</text>`;
}

function escapeXml(content: string): string {
  return content.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
