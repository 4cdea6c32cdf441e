/**
 * Sentinel credentials: every simulator the integration suite starts accepts exactly these, so the API
 * under test holds them, and the leak guard (leak-guard.ts) fails a test file if one shows up in a
 * response or a log line. Unique strings that nothing else in the code base produces.
 */
import { startSimulator, type Simulator, type SimulatorOptions } from '#infra/offline/ionos-simulator/server.ts';

export const SENTINELS = {
  ionosApiToken: 'sentinel-ionos-token-7d41c2e9b5',
  studioApiKey: 'sentinel-studio-key-3a8f60d1c4',
  tavilyApiKey: 'sentinel-tavily-key-91e5b7f02a',
} as const;

/** Every sentinel value, for scanning. */
export const SENTINEL_VALUES: readonly string[] = Object.values(SENTINELS);

/** The simulator with the sentinel credentials, in fast mode (no rate limit) unless `options` says otherwise. */
export function startTestSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({
    hubToken: SENTINELS.ionosApiToken,
    studioApiKey: SENTINELS.studioApiKey,
    tavilyApiKey: SENTINELS.tavilyApiKey,
    rateLimit: { rps: 0, burst: 0 },
    ...options,
  });
}
