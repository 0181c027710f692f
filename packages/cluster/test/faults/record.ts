/**
 * What each fault scenario measured, kept in results.json beside this file; `pnpm faults:table`
 * turns the last run into the README's table. Scenarios merge by id, so running one test file
 * updates its rows and keeps the others.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { LoadReport, Verdict } from './load.js';

export interface ScenarioRecord {
  /** Fault matrix number and a short name: `04 automatic failover`. */
  readonly id: string;
  /** What was done to the cluster. */
  readonly scenario: string;
  /** What the client promises there. */
  readonly promise: string;
  readonly commands: number;
  readonly errors: Readonly<Record<string, number>>;
  /** Acknowledged writes the servers no longer had; with the reason when it is not 0. */
  readonly lostAcknowledged: number;
  readonly lostNote?: string;
  /** Time the client saw errors for (first to last), or until it served again; ms. */
  readonly recoveryMs?: number;
  readonly recordedAt: string;
}

const RESULTS = new URL('./results.json', import.meta.url);

export async function recordScenario(record: Omit<ScenarioRecord, 'recordedAt'>): Promise<void> {
  let records: ScenarioRecord[] = [];
  try {
    records = JSON.parse(await readFile(RESULTS, 'utf8')) as ScenarioRecord[];
  } catch {
    // First run, or a file from an older shape: start over.
  }
  const next = [...records.filter((existing) => existing.id !== record.id), { ...record, recordedAt: new Date().toISOString() }];
  next.sort((a, b) => a.id.localeCompare(b.id));
  const temporary = new URL(`./results.json.${process.pid}.tmp`, import.meta.url);
  await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`);
  await rename(temporary, RESULTS);
}

/** The record fields a load run fills in. */
export function fromLoad(report: LoadReport, verdict: Verdict): Pick<ScenarioRecord, 'commands' | 'errors' | 'lostAcknowledged' | 'recoveryMs'> {
  return { commands: report.commands, errors: report.errors, lostAcknowledged: verdict.lostAcknowledged, recoveryMs: Math.round(report.disturbedMs) };
}
