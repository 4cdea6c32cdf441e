/**
 * Test helper: the IONOS simulator plus the local API pointed at it, in this process, as `npm start`
 * wires them offline, with the sentinel credentials and the leak guard on its responses. Extra env (limits, keys) is set before the handlers load.
 */
import { startLocalApi, type LocalApi } from '#infra/offline/api-gateway/server.ts';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { simulatorEnv } from '#infra/offline/ionos-simulator/env.ts';
import type { Simulator, SimulatorOptions } from '#infra/offline/ionos-simulator/server.ts';
import { watchResponses } from '#test/helpers/leak-guard.ts';
import { startTestSimulator } from '#test/helpers/sentinels.ts';

/** A running simulator and local API. */
export interface LocalStack {
  sim: Simulator;
  api: LocalApi;
  close(): Promise<void>;
}

/** Starts both; the simulator in fast mode (no rate limit) unless the test changes `sim.limiter.limit`. */
export async function startLocalStack(env: Record<string, string> = {}, simOptions: SimulatorOptions = {}): Promise<LocalStack> {
  const sim = await startTestSimulator(simOptions);
  Object.assign(process.env, {
    ...simulatorEnv(sim),
    STUDIO_MODELS: JSON.stringify(STUDIO_MODELS), // the simulator's fine-tuned models, offered as npm start does offline
    ...env,
  });
  const api = await startLocalApi({ port: 0 });
  watchResponses(api.server);
  return {
    sim,
    api,
    close: async () => {
      await api.close();
      await sim.close();
    },
  };
}
