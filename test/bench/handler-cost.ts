/**
 * Runs handler-cost-probe.ts in a fresh process against the simulator: CPU per request of the proxy handler
 * in-process, and of a bare reference handler. The probe's stdout (the functions' logs and EMF) is
 * discarded, as it leaves a Lambda function for CloudWatch; its result comes on stderr.
 */
import { spawn } from 'node:child_process';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';

/** CPU per request (ms) and wall p50 (ms) of one handler. */
export interface HandlerCost {
  cpuMs: number;
  p50: number;
}

/** Both handlers' medians over interleaved rounds, and the median of the rounds' ratios (ours / bare). */
export interface HandlerCosts {
  ours: HandlerCost;
  bare: HandlerCost;
  ratio: number;
  /** The bare handler with only the per-request log line and metrics the stack requires, in its libraries. */
  observed: HandlerCost;
  observedRatio: number;
  /** Ours over that floor (median of the rounds' ratios): what our own code adds to what the stack requires. */
  overFloorRatio: number;
}

/** Measures both handlers, `requests / 2` invocations each per round (the simulator runs in this process). */
export async function measureHandlerCost(sim: Simulator, requests: number, env: Record<string, string> = {}): Promise<HandlerCosts> {
  const probe = new URL('./handler-cost-probe.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [probe, sim.hubBaseUrl, [...sim.hubTokens][0] ?? '', String(requests)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const last = err.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as HandlerCosts;
  } catch {
    throw new Error(`the handler cost probe failed (exit ${code}): ${err.slice(-2000)}`);
  }
}
