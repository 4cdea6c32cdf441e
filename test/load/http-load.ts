/**
 * A bounded HTTP load generator for loopback: `connections` keep-alive clients send one request after the
 * other until `requests` are done or `maxSeconds` have passed, whichever comes first. Each answer is read
 * whole and judged by `check`; latency percentiles and req/s come back with the error count.
 */
import { Agent, request } from 'node:http';
import { percentile, round } from '#test/bench/stats.ts';

/** One request to repeat. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** What a load run reports. */
export interface LoadResult {
  requests: number;
  errors: number;
  /** The first few errors, for the report. */
  samples: string[];
  statuses: Record<number, number>;
  p50Ms: number;
  p99Ms: number;
  rps: number;
}

/** A complete answer. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one request over `agent` and reads the whole answer. */
export function send(agent: Agent, base: string, req: LoadRequest, timeoutMs = 30_000): Promise<Answer> {
  const url = new URL(req.path, base);
  const headers: Record<string, string> = { ...req.headers };
  if (req.body !== undefined)
    Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(req.body)) });
  return new Promise((resolve, reject) => {
    const out = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, agent, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    // An idle socket for this long fails the request: nothing hangs. (Cheaper per request than an AbortSignal
    // timer, which would weigh on the client side of the throughput figures.)
    out.setTimeout(timeoutMs, () => out.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    out.end(req.body);
  });
}

/** Runs the load; `check` returns an error description for a wrong answer, or undefined. */
export async function runLoad(options: {
  base: string;
  request: LoadRequest;
  connections: number;
  requests: number;
  maxSeconds: number;
  check?: (answer: Answer) => string | undefined;
}): Promise<LoadResult> {
  const { base, request: req, connections, requests, maxSeconds } = options;
  const check = options.check ?? ((a: Answer) => (a.status === 200 ? undefined : `HTTP ${a.status}: ${a.body.slice(0, 200)}`));
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const until = Date.now() + maxSeconds * 1000;
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const samples: string[] = [];
  let started = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (started < requests && Date.now() < until) {
        started++;
        const t = performance.now();
        let problem: string | undefined;
        try {
          const answer = await send(agent, base, req);
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          problem = check(answer);
        } catch (err) {
          problem = (err as Error).message;
        }
        latencies.push(performance.now() - t);
        if (problem !== undefined) {
          errors++;
          if (samples.length < 5) samples.push(problem);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return {
    requests: latencies.length,
    errors,
    samples,
    statuses,
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    rps: round(latencies.length / seconds, 0),
  };
}
