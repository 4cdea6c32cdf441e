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

/** Measures both handlers, `requests` invocations each per round (the simulator runs in this process). */
export async function measureHandlerCost(sim: Simulator, requests: number): Promise<{ ours: HandlerCost; bare: HandlerCost }> {
  const probe = new URL('./handler-cost-probe.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [probe, sim.hubBaseUrl, [...sim.hubTokens][0] ?? '', String(requests)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const last = err.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as { ours: HandlerCost; bare: HandlerCost };
  } catch {
    throw new Error(`the handler cost probe failed (exit ${code}): ${err.slice(-2000)}`);
  }
}
