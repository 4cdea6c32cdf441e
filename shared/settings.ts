/**
 * Every runtime setting, once: its environment variable (the unit in its name where it has one), its
 * validator and default, which functions read it, and whether a deployer sets it (as CDK context under the
 * same name in camelCase: `AGENT_MAX_TOKENS` is `-c agentMaxTokens=…`). `shared/config.ts` validates a
 * function's settings from this table; the stack (`infra/`) passes each function the deploy settings it
 * reads; `docs/configuration.md` is rendered from it. Add a setting here and it is validated, deployable and
 * documented.
 */
import * as z from 'zod/mini';
import { isHubModelId, isStudioModelId } from '#shared/models/model-ids.ts';
import { FUNCTIONS, IONOS_CALLERS, ROUTES, type FunctionName } from '#shared/routes.ts';

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
  | 'days'
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
  /** The accepted range of a number setting, for the docs. */
  range?: string;
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
// Who reads what follows from the route table's FUNCTIONS and ROUTES, so a new function gets its settings.
const ALL = Object.keys(FUNCTIONS) as FunctionName[];
const CALLERS = IONOS_CALLERS;
const ROUTED = [...new Set(ROUTES.map((r) => r.function))];
const SECRET_READERS = ALL.filter((name) => FUNCTIONS[name].readsSecret);
const PROXIES: readonly FunctionName[] = ['hub-proxy', 'responses']; // the /v1 pass-through and the Responses API on it

/** A number setting; its default is both the validator's and the docs'. */
function num(
  name: string,
  unit: SettingUnit,
  [min, max, fallback]: [number, number, number],
  readBy: readonly FunctionName[],
  integer = true,
): Setting {
  const schema = integer ? whole(min, max, fallback) : decimal(min, max, fallback);
  return { name, unit, default: String(fallback), schema, readBy, source: 'deploy', range: `${min} to ${max}` };
}

/** The runtime settings. */
// One row per setting, kept on one line each so the table reads as a table.
// prettier-ignore
export const SETTINGS: readonly Setting[] = [
  // Logs (read by Powertools itself; validated here so a typo fails the cold start instead of logging at INFO).
  { name: 'POWERTOOLS_LOG_LEVEL', unit: 'text', default: 'INFO', schema: z._default(z.string().check(z.refine((v) => LOG_LEVELS.includes(v.toUpperCase()), `must be one of ${LOG_LEVELS.join(', ')}`)), 'INFO'), readBy: ALL, source: 'deploy' },
  { name: 'POWERTOOLS_SERVICE_NAME', unit: 'text', default: undefined, schema: text, readBy: ALL, source: 'stack' },
  { name: 'POWERTOOLS_METRICS_NAMESPACE', unit: 'text', default: 'IonosAgentBackend', schema: text, readBy: ALL, source: 'stack' },
  // Where IONOS and Tavily are.
  { name: 'IONOS_HUB_BASE_URL', unit: 'URL', default: 'https://openai.inference.de-txl.ionos.com', schema: z._default(url, 'https://openai.inference.de-txl.ionos.com'), readBy: CALLERS, source: 'deploy' },
  { name: 'IONOS_STUDIO_BASE_URL', unit: 'URL', default: 'https://studio.ionos.de/api/v1', schema: z._default(url, 'https://studio.ionos.de/api/v1'), readBy: CALLERS, source: 'deploy' },
  { name: 'TAVILY_BASE_URL', unit: 'URL', default: 'https://api.tavily.com', schema: z._default(url, 'https://api.tavily.com'), readBy: CALLERS, source: 'deploy' },
  // Credentials.
  { name: 'IONOS_SECRET_ID', unit: 'text', default: undefined, schema: text, readBy: SECRET_READERS, source: 'stack' },
  { name: 'IONOS_API_TOKEN', unit: 'text', default: undefined, schema: text, readBy: SECRET_READERS, source: 'local' },
  { name: 'IONOS_STUDIO_API_KEY', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'local' },
  { name: 'IONOS_STUDIO_ORG_ID', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'local' },
  { name: 'TAVILY_API_KEY', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'local' },
  num('SECRET_CACHE_SECONDS', 'seconds', [0, 86_400, 300], SECRET_READERS),
  // Time allowed.
  num('UPSTREAM_TIMEOUT_MS', 'ms', [100, 900_000, 30_000], CALLERS),
  num('PROXY_DEADLINE_MS', 'ms', [1_000, 900_000, 290_000], PROXIES),
  num('AGENT_DEADLINE_MS', 'ms', [1_000, 900_000, 240_000], ['agent']),
  // What one request may be and cost.
  num('AGENT_MAX_REQUEST_BYTES', 'bytes', [1_024, 10 * 1024 * 1024, 1024 * 1024], ['agent']),
  num('PROXY_MAX_REQUEST_BYTES', 'bytes', [1_024, 10 * 1024 * 1024, 5 * 1024 * 1024], PROXIES),
  num('PROXY_MAX_OUTPUT_TOKENS', 'tokens', [1, 1_000_000, 16_384], PROXIES),
  num('PROXY_MAX_CHOICES', 'count', [1, 128, 4], PROXIES),
  // The agent.
  num('AGENT_MAX_MESSAGES', 'count', [1, 500, 50], ['agent']),
  num('AGENT_MAX_CHARS', 'characters', [1_000, 2_000_000, 200_000], ['agent']),
  num('AGENT_MAX_TOKENS', 'tokens', [1, 32_768, 1024], ['agent']),
  num('AGENT_TEMPERATURE', 'temperature', [0, 2, 0], ['agent'], false),
  num('AGENT_RECURSION_LIMIT', 'count', [3, 100, 12], ['agent']),
  num('AGENT_MAX_TOOL_CALLS_PER_STEP', 'count', [1, 32, 4], CALLERS),
  num('AGENT_MAX_TOOL_CALLS_PER_RUN', 'count', [1, 100, 8], CALLERS),
  num('AGENT_TOOLLESS_TTL_SECONDS', 'seconds', [0, 86_400, 900], ['agent']),
  { name: 'AGENT_DEFAULT_MODEL', unit: 'text', default: 'meta-llama/Llama-3.3-70B-Instruct', schema: z._default(z.string().check(z.trim(), z.refine((v) => isHubModelId(v) || isStudioModelId(v), 'must be a Hub model id (provider/name) or a Studio model UUID')), 'meta-llama/Llama-3.3-70B-Instruct'), readBy: ['agent'], source: 'deploy' },
  num('THREAD_TTL_DAYS', 'days', [1, 3_650, 30], ['agent']),
  // The IONOS contract (0 per second or minute: that limit is not held).
  num('IONOS_REQUESTS_PER_SECOND', 'per second', [0, 10_000, 5], CALLERS, false),
  num('IONOS_REQUESTS_BURST', 'count', [1, 100_000, 10], CALLERS),
  num('IONOS_IMAGES_PER_MINUTE', 'per minute', [0, 100_000, 10], CALLERS, false),
  num('IONOS_IMAGES_BURST', 'count', [1, 100_000, 20], CALLERS),
  // What the API offers and to whom.
  { name: 'STUDIO_MODELS', unit: 'JSON', default: '{}', schema: z.optional(z.string()), readBy: ROUTED, source: 'deploy' },
  { name: 'STUDIO_MODELS_FILE', unit: 'text', default: undefined, schema: text, readBy: ROUTED, source: 'local' },
  { name: 'ALLOWED_ORIGINS', unit: 'list', default: undefined, schema: z.optional(z.string()), readBy: ROUTED, source: 'deploy' },
  { name: 'CONSUMERS', unit: 'JSON', default: undefined, schema: text, readBy: CALLERS, source: 'local' },
  { name: 'CONSUMERS_PARAMETER', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'stack' },
  { name: 'USAGE_TABLE', unit: 'text', default: undefined, schema: text, readBy: CALLERS, source: 'stack' },
  // The smoke test (the stack sets these from smokeModel and the API it builds).
  { name: 'API_URL', unit: 'URL', default: undefined, schema: z.optional(url), readBy: ['smoke-test'], source: 'stack' },
  { name: 'SMOKE_KEY_SECRET_ARN', unit: 'text', default: undefined, schema: text, readBy: ['smoke-test'], source: 'stack' },
  { name: 'SMOKE_MODEL', unit: 'text', default: undefined, schema: text, readBy: ['smoke-test'], source: 'stack' },
  { name: 'DYNAMODB_ENDPOINT', unit: 'URL', default: undefined, schema: z.optional(url), readBy: CALLERS, source: 'local' },
];

/** A setting's CDK context key: its name in camelCase (`AGENT_MAX_TOKENS` → `agentMaxTokens`). */
export const deployKey = (name: string) => name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The settings `fn` reads. */
export const settingsOf = (fn: FunctionName) => SETTINGS.filter((s) => s.readBy.includes(fn));

/** Every function, for `npm start` and the tests, which run them all in one process. */
export const ALL_FUNCTIONS = ALL;

/**
 * What each setting means, for docs/configuration.md. Apart from SETTINGS so the functions' bundles, which
 * never read it, leave these texts out.
 */
export const SETTING_DOCS: Record<string, string> = {
  POWERTOOLS_LOG_LEVEL: 'log level of the functions: TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT',
  POWERTOOLS_SERVICE_NAME: "the `service` of every log line and metric: the function's name (`npm start`: ionos-agent-backend-local)",
  POWERTOOLS_METRICS_NAMESPACE: 'the CloudWatch namespace of the metrics, which the alarms read',
  IONOS_HUB_BASE_URL: "the Hub's OpenAI-compatible API",
  IONOS_STUDIO_BASE_URL: "Studio's job API",
  TAVILY_BASE_URL: "Tavily's search API (the agent's web_search and the Responses bridge's hosted web_search)",
  IONOS_SECRET_ID: 'the Secrets Manager secret (name or ARN) holding the credentials; the stack sets it to its secret',
  IONOS_API_TOKEN: "the IONOS token for a local run without Secrets Manager (its presence turns `npm start`'s simulator off)",
  IONOS_STUDIO_API_KEY: 'the Studio key for a local run',
  IONOS_STUDIO_ORG_ID: 'the Studio organisation for a local run',
  TAVILY_API_KEY: 'the Tavily key for a local run (without one, web search is off)',
  SECRET_CACHE_SECONDS: 'how long credentials are cached per container',
  UPSTREAM_TIMEOUT_MS:
    "time for an upstream answer's headers (a stream's, each agent model call's, `GET /v1/models`, a search) and then for each pause between a stream's events",
  PROXY_DEADLINE_MS:
    "time for a buffered `/v1` answer (a whole non-streamed completion), a legacy prediction or a Studio job via `/v1`; the function's remaining time lowers it",
  AGENT_DEADLINE_MS: "longest agent run; the function's remaining time lowers it",
  AGENT_MAX_REQUEST_BYTES: 'request body limit of the agent (`POST /`)',
  PROXY_MAX_REQUEST_BYTES: 'request body limit of the proxy (room for images in chat), and of a Responses conversation sent to the Hub',
  PROXY_MAX_OUTPUT_TOKENS: 'largest `max_tokens` / `max_completion_tokens` / `max_output_tokens` the proxy forwards',
  PROXY_MAX_CHOICES: 'largest `n` (chat, completions, images) and `best_of` the proxy forwards',
  AGENT_MAX_MESSAGES: 'messages kept per request, leading system messages included (the most recent turns)',
  AGENT_MAX_CHARS: 'characters of text the kept conversation may hold',
  AGENT_MAX_TOKENS: 'largest answer of one model call of the agent',
  AGENT_TEMPERATURE: 'sampling temperature of the agent',
  AGENT_RECURSION_LIMIT: 'graph steps of a run; a run stops (with a 200 saying so) before it would exceed them',
  AGENT_MAX_TOOL_CALLS_PER_STEP: "tool calls run per model reply (the agent's tools, the Responses bridge's hosted search)",
  AGENT_MAX_TOOL_CALLS_PER_RUN: 'tool calls per agent run, and hosted searches per Responses answer',
  AGENT_TOOLLESS_TTL_SECONDS: 'how long a model that refused tools is asked without them (0: never remembered)',
  AGENT_DEFAULT_MODEL:
    'the model of a thread run (LangGraph API) that names none (`context.model`) on a thread that has none: a Hub id, or a Studio UUID of `STUDIO_MODELS`',
  THREAD_TTL_DAYS: 'days a thread (its record and checkpoints) is kept after its last run (DynamoDB TTL)',
  IONOS_REQUESTS_PER_SECOND:
    "the IONOS contract's sustained requests, held by the limiter in the usage table (0: not held); also the API's method throttling",
  IONOS_REQUESTS_BURST: "the IONOS contract's request burst",
  IONOS_IMAGES_PER_MINUTE: "the IONOS contract's image generations (0: not held)",
  IONOS_IMAGES_BURST: "the IONOS contract's image burst",
  STUDIO_MODELS:
    'fine-tuned model names → Studio UUIDs (`{"qwen-gdpr":"<uuid>"}`): listed by `GET /studio/models`, the only UUIDs sent to Studio (`npm start` offline: the simulator\'s demo models)',
  STUDIO_MODELS_FILE: 'a JSON file with the Studio map, instead of `STUDIO_MODELS`',
  ALLOWED_ORIGINS:
    'browser origins that get CORS headers, comma-separated or JSON (`npm start`: localhost 3000, 5173, 8000 and its own port; deploy: a JSON list, and synth warns while it holds loopback origins)',
  CONSUMERS:
    'API key id → consumer name, budgets and `contractShare`, JSON `[{"apiKeyId":"…","name":"alice","tokensPerDay":100000}]`; the stack writes it to `CONSUMERS_PARAMETER` from `consumers`',
  CONSUMERS_PARAMETER: "the SSM parameter holding `CONSUMERS` (the stack's `/<stackName>/consumers`), read at run time",
  USAGE_TABLE:
    'the usage table (ledger, budgets, contract limiter, stored responses); `npm start` embeds one, `USAGE_TABLE=none` runs without',
  API_URL: 'the deployed API the smoke test calls',
  SMOKE_KEY_SECRET_ARN: "the secret holding the smoke consumer's API key",
  SMOKE_MODEL: 'the (cheap) Hub model the smoke test asks (deploy: `smokeModel`)',
  DYNAMODB_ENDPOINT: "a DynamoDB-compatible endpoint instead of AWS's (`npm start`'s embedded store)",
};
