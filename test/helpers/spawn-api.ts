/**
 * Starts the API as `npm start` runs it (infra/offline/start.ts in its own process), pointed at a simulator
 * the caller controls, so results include the real process boundary and the local adapter. Used by the
 * bench, the load runner and the tests that need a whole process (log levels, clean exit).
 */
import { spawn } from 'node:child_process';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { simulatorEnv } from '#infra/offline/ionos-simulator/env.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** A running API process. */
export interface SpawnedApi {
  url: string;
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends Ctrl-C and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Spawns the API on an ephemeral port against `sim` and waits until it listens; an `undefined` in `env` unsets that variable. */
export async function spawnApi(sim: Simulator, env: Record<string, string | undefined> = {}): Promise<SpawnedApi> {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    ...simulatorEnv(sim),
    STUDIO_MODELS: JSON.stringify(STUDIO_MODELS),
    ...env,
  };
  const child = spawn(process.execPath, ['infra/offline/start.ts'], {
    cwd: ROOT,
    env: Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API listening on (http:\/\/\S+);/.exec(out);
      if (m) resolve((m[1] as string).replace('localhost', '127.0.0.1'));
    });
    void exited.then((code) => reject(new Error(`npm start exited with ${code}: ${out}`)));
  });
  return {
    url,
    pid: child.pid as number,
    output: () => out,
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}
