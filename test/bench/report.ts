/**
 * The bench's report: one row per figure beside its target, printed by `npm run bench` and kept in
 * `docs/benchmarks.json`, from which the table in `docs/benchmarks.md` is rendered (test/docs/generated.ts).
 */
import { readFileSync } from 'node:fs';

/** One measured figure. */
export interface Row {
  figure: string;
  value: number;
  unit: string;
  /** Met when the value is at most this. */
  target?: number;
  /** Met when the value is at least this. */
  atLeast?: number;
}

/** One bench run. */
export interface BenchResults {
  date: string;
  machine: string;
  requests: number;
  price: { perGbSecond: number; perMillionRequests: number; asOf: string };
  rows: Row[];
}

/** Where the last run's results are kept (committed: the docs' table is rendered from them). */
export const RESULTS_FILE = new URL('../../docs/benchmarks.json', import.meta.url);

/** The last run's results. */
export const readResults = (): BenchResults => JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as BenchResults;

/** The report as printed: a header, then each figure with its verdict (a missed target prints as MISSED). */
export function renderReport(r: BenchResults): string {
  const width = Math.max(...r.rows.map((row) => row.figure.length));
  const lines = [
    `bench ${r.date.slice(0, 10)} on ${r.machine}; ${r.requests} sequential keep-alive requests per HTTP figure`,
    `costs: arm64 at $${r.price.perGbSecond} per GB-second and $${r.price.perMillionRequests} per million requests (${r.price.asOf})`,
  ];
  for (const row of r.rows) {
    let verdict = '';
    if (row.target !== undefined) verdict = `  target <= ${row.target}: ${row.value <= row.target ? 'met' : 'MISSED'}`;
    if (row.atLeast !== undefined) verdict = `  target >= ${row.atLeast}: ${row.value >= row.atLeast ? 'met' : 'MISSED'}`;
    lines.push(`${row.figure.padEnd(width)}  ${String(row.value).padStart(9)} ${row.unit}${verdict}`);
  }
  return lines.join('\n');
}
