/** The runtime settings that point the functions at a simulator, as `npm start` does offline. */
import type { Simulator } from './server.ts';

/** IONOS, Studio and Tavily base URLs and credentials of `sim`, as the env vars the functions read. */
export function simulatorEnv(sim: Simulator): Record<string, string> {
  return {
    IONOS_HUB_BASE_URL: sim.hubBaseUrl,
    IONOS_STUDIO_BASE_URL: sim.studioBaseUrl,
    IONOS_API_TOKEN: [...sim.hubTokens][0] ?? '',
    IONOS_STUDIO_API_KEY: sim.studioApiKey,
    IONOS_STUDIO_ORG_ID: sim.studioOrgId,
    TAVILY_API_KEY: sim.tavilyApiKey,
    TAVILY_BASE_URL: sim.tavilyBaseUrl,
    // The simulated contract is the simulator's limit: the API holds it as it holds a real one (off when off).
    IONOS_REQUESTS_PER_SECOND: String(sim.limiter.limit.rps),
    IONOS_REQUESTS_BURST: String(Math.max(1, sim.limiter.limit.burst)),
    ...(sim.limiter.limit.rps <= 0 ? { IONOS_IMAGES_PER_MINUTE: '0' } : {}),
  };
}
