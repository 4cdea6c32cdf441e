/**
 * Proxy figures, against the simulator in fast mode: added latency over calling the simulator directly
 * (sequential, keep-alive, direct and proxied calls interleaved) and throughput at 1/16/64 connections
 * next to a raw node:http pipe. Streaming delays are in stream-delay.ts.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import type { Simulator } from '#infra/local/simulator/server.ts';
import { percentile, round } from './stats.ts';

const CHAT = JSON.stringify({ model: 'mistralai/Mistral-Small-24B-Instruct', messages: [{ role: 'user', content: 'Hello' }] });

/** One POST over a keep-alive agent; resolves with the status once the body is read. */
function post(agent: Agent, base: string, path: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Added latency of the proxy: p50/p99 of proxied minus direct, over `count` interleaved pairs. */
export async function measureAddedLatency(sim: Simulator, proxyUrl: string, count: number): Promise<{ directP50: number; directP99: number; proxiedP50: number; proxiedP99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const direct: number[] = [];
  const proxied: number[] = [];
  const auth = { authorization: `Bearer ${[...sim.hubTokens][0]}` };
  for (let i = 0; i < count + 200; i++) {
    let t = performance.now();
    await post(agent, sim.url, '/v1/chat/completions', CHAT, auth);
    const d = performance.now() - t;
    t = performance.now();
    await post(agent, proxyUrl, '/v1/chat/completions', CHAT);
    const p = performance.now() - t;
    if (i >= 200) { // the first 200 pairs warm up JIT and connection pools
      direct.push(d);
      proxied.push(p);
    }
  }
  agent.destroy();
  return { directP50: percentile(direct, 50), directP99: percentile(direct, 99), proxiedP50: percentile(proxied, 50), proxiedP99: percentile(proxied, 99) };
}

/** Requests per second and errors with `connections` concurrent keep-alive clients for `seconds`. */
export async function measureThroughput(base: string, connections: number, seconds: number, headers: Record<string, string> = {}): Promise<{ rps: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const until = Date.now() + seconds * 1000;
  let ok = 0;
  let errors = 0;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < until) {
      const status = await post(agent, base, '/v1/chat/completions', CHAT, headers).catch(() => 0);
      if (status === 200) ok++;
      else errors++;
    }
  }));
  agent.destroy();
  return { rps: round(ok / seconds, 0), errors };
}

/** Starts the raw pipe reference in its own process. */
export async function startRawPipe(sim: Simulator): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [new URL('./raw-pipe.ts', import.meta.url).pathname, sim.url, [...sim.hubTokens][0] as string], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => {
    const m = /listening (\S+)/.exec(d.toString());
    if (m) resolve(m[1] as string);
  }));
  return { url, stop: () => void child.kill('SIGINT') };
}
