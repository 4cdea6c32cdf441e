/**
 * The settings only `npm start` reads (its server, the embedded store, the simulator): besides the
 * functions' runtime settings (shared/settings.ts). Listed here for the docs (docs/configuration.md).
 */

/** One setting of `npm start`. */
export interface LocalSetting {
  name: string;
  default: string;
  about: string;
}

export const LOCAL_SETTINGS: readonly LocalSetting[] = [
  { name: 'PORT', default: '8000', about: 'port of the local API' },
  { name: 'HOST', default: '127.0.0.1', about: 'address the local API listens on' },
  {
    name: 'LOCAL_API_KEYS',
    default: 'unset (no auth)',
    about:
      'require `Authorization: Bearer <one of these keys>`, as the gateway does. Comma-separated, each optionally named: `alice:<key>,bob:<key>`; named keys become `CONSUMERS` (usage is recorded under the name), unnamed ones are named by their fingerprint (`key-…`), as the authorizer does',
  },
  {
    name: 'LOCAL_BUDGETS',
    default: 'none',
    about: 'budgets and contract shares of named keys, JSON `{"alice":{"tokensPerDay":…,"imagesPerDay":…,"contractShare":0.25}}`',
  },
  { name: 'DYNAMODB_PORT', default: 'ephemeral', about: 'port of the embedded store' },
  { name: 'SIMULATOR_PORT', default: 'ephemeral', about: 'port of the IONOS simulator' },
  { name: 'SIMULATOR_RATE_LIMIT', default: 'on (5 per second, burst 10)', about: '`off`: the simulator does not hold a contract' },
  { name: 'SIMULATOR_STREAM_DELAY_MS', default: '0', about: "pause between the simulator's stream events, in ms" },
  { name: 'SMOKE_API_KEY', default: 'none', about: '`npm run smoke`: the API key of the API it checks (or `--api-key`)' },
  { name: 'POWERTOOLS_METRICS_DISABLED', default: 'true', about: '`false` prints the EMF metric lines CloudWatch would read' },
];
