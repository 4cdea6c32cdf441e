/**
 * Every runtime setting, once: its environment variable (the unit in its name where it has one), its
 * validator and default, which functions read it, and whether a deployer sets it (as CDK context under the
 * same name in camelCase: `AGENT_MAX_TOKENS` is `-c agentMaxTokens=…`). `shared/config.ts` validates a
 * function's settings from this table; the stack (`infra/`) passes each function the deploy settings it
 * reads; `docs/configuration.md` is rendered from it. Add a setting here and it is validated, deployable and
 * documented.
 */
import * as z from 'zod/mini';
import type { FunctionName } from '#shared/routes.ts';

/** What a setting's value is, for the docs. */
export type SettingUnit =
  | 'ms'
  | 'seconds'
  | 'bytes'
  | 'tokens'
  | 'characters'
  | 'count'
  | 'per second'
  | 'per minute'
  | 'temperature'
  | 'URL'
  | 'JSON'
  | 'text'
  | 'list';

/** Who sets a setting: the deployer (CDK context), the stack itself (from other settings), or a local run. */
export type SettingSource = 'deploy' | 'stack' | 'local';

/** One runtime setting. */
export interface Setting {
  /** The environment variable. */
  name: string;
  unit: SettingUnit;
  /** The default as written in the docs (`undefined`: unset). */
  default: string | undefined;
  schema: z.ZodMiniType;
  /** The functions that read it (`npm start` runs them all). */
  readBy: readonly FunctionName[];
  source: SettingSource;
  about: string;
}

const url = z.pipe(
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  z.transform((u: string) => u.replace(/\/+$/, '')),
);
const text = z.optional(z.string().check(z.trim(), z.minLength(1, 'must not be empty')));
const whole = (min: number, max: number, fallback: number) =>
  z._default(
    z.coerce
      .number({ error: 'must be a number' })
      .check(z.int('must be a whole number'), z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
    fallback,
  );
const decimal = (min: number, max: number, fallback: number) =>
  z._default(
    z.coerce.number({ error: 'must be a number' }).check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
    fallback,
  );

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];
const ALL: readonly FunctionName[] = ['agent', 'hub-proxy', 'studio-models', 'authorizer', 'smoke-test'];
const CALLERS: readonly FunctionName[] = ['agent', 'hub-proxy']; // the functions that call IONOS for a client
const ROUTED: readonly FunctionName[] = ['agent', 'hub-proxy', 'studio-models'];
const SECRET_READERS: readonly FunctionName[] = ['agent', 'hub-proxy', 'smoke-test'];

/** A number setting; its default is both the validator's and the docs'. */
function num(
  name: string,
  unit: SettingUnit,
  [min, max, fallback]: [number, number, number],
  readBy: readonly FunctionName[],
  about: string,
  integer = true,
): Setting {
  const schema = integer ? whole(min, max, fallback) : decimal(min, max, fallback);
  return { name, unit, default: String(fallback), schema, readBy, source: 'deploy', about: `${about} (${min} to ${max})` };
}

/** The runtime settings. */
// One row per setting, kept on one line each so the table reads as a table.
// prettier-ignore
export const SETTINGS: readonly Setting[] = [
  // Logs (read by Powertools itself; validated here so a typo fails the cold start instead of logging at INFO).
  { name: 'POWERTOOLS_LOG_LEVEL', unit: 'text', default: 'INFO', schema: z._default(z.string().check(z.refine((v) => LOG_LEVELS.includes(v.toUpperCase()), `must be one of ${LOG_LEVELS.join(', ')}`)), 'INFO'), readBy: ALL, source: 'deploy', about: 'log level of the functions: TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT' },
  { name: 'POWERTOOLS_SERVICE_NAME', unit: 'text', default: undefined, schema: text, readBy: ALL, source: 'stack', about: "the `service` of every log line and metric: the function's name (`npm start`: ionos-agent-backend-local)" },
  { name: 'POWERTOOLS_METRICS_NAMESPACE', unit: 'text', default: 'IonosAgentBackend', schema: text, readBy: ALL, source: 'stack', about: 'the CloudWatch namespace of the metrics, which the alarms read' },
  // Where IONOS and Tavily are.
  { name: 'IONOS_HUB_BASE_URL', unit: 'URL', default: 'https://openai.inference.de-txl.ionos.com', schema: z._default(url, 'https://openai.inference.de-txl.ionos.com'), readBy: CALLERS, source: 'deploy', about: "the Hub's OpenAI-compatible API"},
  { name: 'IONOS_STUDIO_BASE_URL', unit: 'URL', default: 'https://studio.ionos.de/api/v1', schema: z._default(url, 'https://studio.ionos.de/api/v1'), readBy: CALLERS, source: 'deploy', about: "Studio's job API"},
  { name: 'TAVILY_BASE_URL', unit: 'URL', default: 'https://api.tavily.com', schema: z._default(url, 'https://api.tavily.com'), readBy: CALLERS, source: 'deploy', about: "Tavily's search API (the agent's web_search and the Responses bridge's hosted web_search)"},
  // Credentials.
  { name: 'IONOS_SECRET_ID', unit: 'text', default: undefined, schema: text, readBy: SECRET_READERS, source: 'stack', about: 'the Secrets Manager secret (name or ARN) holding the credentials; the stack sets it to its secret'},
  { name: 'IONOS_API_TOKEN', unit: 'text', default: undefined, schema: text, readBy: SECRET_READERS, source: 'local', about: "the IONOS token for a local run without Secrets Manager (its presence turns `npm start`'s simulator off)"},
  { name: 'IONOS_STUDIO_API_KEY', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'local', about: 'the Studio key for a local run'},
  { name: 'IONOS_STUDIO_ORG_ID', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'local', about: 'the Studio organisation for a local run'},
  { name: 'TAVILY_API_KEY', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'local', about: 'the Tavily key for a local run (without one, web search is off)'},
  num('SECRET_CACHE_SECONDS', 'seconds', [0, 86_400, 300], SECRET_READERS, 'how long credentials are cached per container'),
  // Time allowed.
  num('UPSTREAM_TIMEOUT_MS', 'ms', [100, 900_000, 30_000], CALLERS, "time for an upstream answer's headers (a stream's, each agent model call's, `GET /v1/models`, a search) and then for each pause between a stream's events"),
  num('PROXY_DEADLINE_MS', 'ms', [1_000, 900_000, 290_000], ['hub-proxy'], "time for a buffered `/v1` answer (a whole non-streamed completion), a legacy prediction or a Studio job via `/v1`; the function's remaining time lowers it"),
  num('AGENT_DEADLINE_MS', 'ms', [1_000, 900_000, 240_000], ['agent'], "longest agent run; the function's remaining time lowers it"),
  // What one request may be and cost.
  num('AGENT_MAX_REQUEST_BYTES', 'bytes', [1_024, 10 * 1024 * 1024, 1024 * 1024], ['agent'], 'request body limit of the agent (`POST /`)'),
  num('PROXY_MAX_REQUEST_BYTES', 'bytes', [1_024, 10 * 1024 * 1024, 5 * 1024 * 1024], ['hub-proxy'], 'request body limit of the proxy (room for images in chat), and of a Responses conversation sent to the Hub'),
  num('PROXY_MAX_OUTPUT_TOKENS', 'tokens', [1, 1_000_000, 16_384], ['hub-proxy'], 'largest `max_tokens` / `max_completion_tokens` / `max_output_tokens` the proxy forwards'),
  num('PROXY_MAX_CHOICES', 'count', [1, 128, 4], ['hub-proxy'], 'largest `n` (chat, completions, images) and `best_of` the proxy forwards'),
  // The agent.
  num('AGENT_MAX_MESSAGES', 'count', [1, 500, 50], ['agent'], 'messages kept per request, leading system messages included (the most recent turns)'),
  num('AGENT_MAX_CHARS', 'characters', [1_000, 2_000_000, 200_000], ['agent'], 'characters of text the kept conversation may hold'),
  num('AGENT_MAX_TOKENS', 'tokens', [1, 32_768, 1024], ['agent'], 'largest answer of one model call of the agent'),
  num('AGENT_TEMPERATURE', 'temperature', [0, 2, 0], ['agent'], 'sampling temperature of the agent', false),
  num('AGENT_RECURSION_LIMIT', 'count', [3, 100, 12], ['agent'], 'graph steps of a run; a run stops (with a 200 saying so) before it would exceed them'),
  num('AGENT_MAX_TOOL_CALLS_PER_STEP', 'count', [1, 32, 4], CALLERS, "tool calls run per model reply (the agent's tools, the Responses bridge's hosted search)"),
  num('AGENT_MAX_TOOL_CALLS_PER_RUN', 'count', [1, 100, 8], CALLERS, 'tool calls per agent run, and hosted searches per Responses answer'),
  num('AGENT_TOOLLESS_TTL_SECONDS', 'seconds', [0, 86_400, 900], ['agent'], 'how long a model that refused tools is asked without them (0: never remembered)'),
  // The IONOS contract (0 per second or minute: that limit is not held).
  num('IONOS_REQUESTS_PER_SECOND', 'per second', [0, 10_000, 5], CALLERS, "the IONOS contract's sustained requests, held by the limiter in the usage table (0: not held); also the API's method throttling", false),
  num('IONOS_REQUESTS_BURST', 'count', [1, 100_000, 10], CALLERS, "the IONOS contract's request burst"),
  num('IONOS_IMAGES_PER_MINUTE', 'per minute', [0, 100_000, 10], CALLERS, "the IONOS contract's image generations (0: not held)", false),
  num('IONOS_IMAGES_BURST', 'count', [1, 100_000, 20], CALLERS, "the IONOS contract's image burst"),
  // What the API offers and to whom.
  { name: 'STUDIO_MODELS', unit: 'JSON', default: '{}', schema: z.optional(z.string()), readBy: ROUTED, source: 'deploy', about: 'fine-tuned model names → Studio UUIDs (`{"qwen-gdpr":"<uuid>"}`): listed by `GET /studio/models`, the only UUIDs sent to Studio (`npm start` offline: the simulator\'s demo models)'},
  { name: 'STUDIO_MODELS_FILE', unit: 'text', default: undefined, schema: text, readBy: ROUTED, source: 'local', about: 'a JSON file with the Studio map, instead of `STUDIO_MODELS`'},
  { name: 'ALLOWED_ORIGINS', unit: 'list', default: undefined, schema: z.optional(z.string()), readBy: ROUTED, source: 'deploy', about: 'browser origins that get CORS headers, comma-separated or JSON (`npm start`: localhost 3000, 5173, 8000 and its own port; deploy: a JSON list, and synth warns while it holds loopback origins)'},
  { name: 'CONSUMERS', unit: 'JSON', default: undefined, schema: text, readBy: CALLERS, source: 'local', about: 'API key id → consumer name, budgets and `contractShare`, JSON `[{"apiKeyId":"…","name":"alice","tokensPerDay":100000}]`; the stack writes it to `CONSUMERS_PARAMETER` from `consumers`'},
  { name: 'CONSUMERS_PARAMETER', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'stack', about: "the SSM parameter holding `CONSUMERS` (the stack's `/<stackName>/consumers`), read at run time"},
  { name: 'USAGE_TABLE', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'stack', about: 'the usage table (ledger, budgets, contract limiter, stored responses); `npm start` embeds one, `USAGE_TABLE=none` runs without'},
  // The smoke test (the stack sets these from smokeModel and the API it builds).
  { name: 'API_URL', unit: 'URL', default: undefined, schema: z.optional(url), readBy: ['smoke-test'], source: 'stack', about: 'the deployed API the smoke test calls' },
  { name: 'SMOKE_KEY_SECRET_ARN', unit: 'text', default: undefined, schema: text, readBy: ['smoke-test'], source: 'stack', about: "the secret holding the smoke consumer's API key" },
  { name: 'SMOKE_MODEL', unit: 'text', default: undefined, schema: text, readBy: ['smoke-test'], source: 'stack', about: 'the (cheap) Hub model the smoke test asks (deploy: `smokeModel`)' },
  { name: 'DYNAMODB_ENDPOINT', unit: 'URL', default: undefined, schema: z.optional(url), readBy: CALLERS, source: 'local', about: "a DynamoDB-compatible endpoint instead of AWS's (`npm start`'s embedded store)"},
];

/** A setting's CDK context key: its name in camelCase (`AGENT_MAX_TOKENS` → `agentMaxTokens`). */
export const deployKey = (name: string) => name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The settings `fn` reads. */
export const settingsOf = (fn: FunctionName) => SETTINGS.filter((s) => s.readBy.includes(fn));

/** Every function, for `npm start` and the tests, which run them all in one process. */
export const ALL_FUNCTIONS = ALL;
