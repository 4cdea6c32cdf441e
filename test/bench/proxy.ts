/**
 * Proxy figures, against the simulator in fast mode: added latency over calling the simulator directly
 * (sequential, keep-alive, direct and proxied calls interleaved) and throughput at 1/16/64 connections
 * next to a raw node:http pipe. Streaming delays are in stream-delay.ts.
 */
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { readFileSync } from 'node:fs';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { runLoad, send } from '#test/load/http-load.ts';
import { percentile, round } from './stats.ts';

const CHAT = JSON.stringify({ model: 'mistralai/Mistral-Small-24B-Instruct', messages: [{ role: 'user', content: 'Hello' }] });

/** Added latency of a proxy (ours or the raw pipe): p50/p99 of proxied minus direct, over `count` interleaved pairs. */
export async function measureAddedLatency(
  sim: Simulator,
  proxyUrl: string,
  count: number,
): Promise<{ directP50: number; directP99: number; proxiedP50: number; proxiedP99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const direct: number[] = [];
  const proxied: number[] = [];
  const auth = { authorization: `Bearer ${[...sim.hubTokens][0]}` };
  for (let i = 0; i < count + 200; i++) {
    let t = performance.now();
    await send(agent, sim.url, { method: 'POST', path: '/v1/chat/completions', body: CHAT, headers: auth });
    const d = performance.now() - t;
    t = performance.now();
    await send(agent, proxyUrl, { method: 'POST', path: '/v1/chat/completions', body: CHAT });
    const p = performance.now() - t;
    if (i >= 200) {
      // the first 200 pairs warm up JIT and connection pools
      direct.push(d);
      proxied.push(p);
    }
  }
  agent.destroy();
  return {
    directP50: percentile(direct, 50),
    directP99: percentile(direct, 99),
    proxiedP50: percentile(proxied, 50),
    proxiedP99: percentile(proxied, 99),
  };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * (1000 / 100); // utime + stime in clock ticks of 10 ms
}

/**
 * Requests per second and errors with `connections` concurrent keep-alive clients for `seconds`, and the
 * CPU time the server process `pid` spent per request meanwhile.
 */
export async function measureThroughput(
  base: string,
  pid: number,
  connections: number,
  seconds: number,
): Promise<{ rps: number; errors: number; cpuMsPerRequest: number }> {
  const cpuBefore = cpuMs(pid);
  const result = await runLoad({
    base,
    connections,
    requests: Number.MAX_SAFE_INTEGER,
    maxSeconds: seconds,
    request: { method: 'POST', path: '/v1/chat/completions', body: CHAT },
  });
  return { rps: result.rps, errors: result.errors, cpuMsPerRequest: round((cpuMs(pid) - cpuBefore) / result.requests, 3) };
}

/** Starts the raw pipe reference in its own process. */
export async function startRawPipe(sim: Simulator): Promise<{ url: string; pid: number; stop(): void }> {
  const child = spawn(process.execPath, [new URL('./raw-pipe.ts', import.meta.url).pathname, sim.url, [...sim.hubTokens][0] as string], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      const m = /listening (\S+)/.exec(d.toString());
      if (m) resolve(m[1] as string);
    }),
  );
  return { url, pid: child.pid as number, stop: () => void child.kill('SIGINT') };
}
