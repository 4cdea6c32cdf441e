/**
 * Runtime configuration from environment variables, validated once at cold start.
 *
 * In Lambda the stack sets these; `npm start` sets them from the shell or for the simulator. A bad value
 * fails the cold start with a message that names the variable (secret values are never echoed).
 */
import * as z from 'zod/mini';
import { parseStudioModelMapJson, type StudioModelMap } from '#shared/models/studio-map.ts';
import { parseConsumers, type ConsumerMap } from '#shared/usage/consumer-settings.ts';
import type { ContractLimits } from '#shared/usage/contract.ts';

// zod/mini keeps function bundles small; every check carries its own message, so errors read well.
const url = z.pipe(
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  z.transform((u: string) => u.replace(/\/+$/, '')),
);
const optionalText = z.optional(z.string().check(z.trim(), z.minLength(1, 'must not be empty')));
const intInRange = (min: number, max: number, fallback: number) =>
  z._default(
    z.coerce
      .number({ error: 'must be a number' })
      .check(z.int('must be a whole number'), z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
    fallback,
  );
const numberInRange = (min: number, max: number, fallback: number) =>
  z._default(
    z.coerce.number({ error: 'must be a number' }).check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
    fallback,
  );

const schema = z.object({
  IONOS_HUB_BASE_URL: z._default(url, 'https://openai.inference.de-txl.ionos.com'),
  IONOS_STUDIO_BASE_URL: z._default(url, 'https://studio.ionos.de/api/v1'),
  IONOS_SECRET_ID: optionalText,
  IONOS_API_TOKEN: optionalText,
  IONOS_STUDIO_API_KEY: optionalText,
  IONOS_STUDIO_ORG_ID: optionalText,
  TAVILY_API_KEY: optionalText,
  SECRET_CACHE_SECONDS: intInRange(0, 86_400, 300),
  UPSTREAM_TIMEOUT_MS: intInRange(100, 900_000, 30_000),
  MAX_REQUEST_BYTES: intInRange(1_024, 10 * 1024 * 1024, 1024 * 1024),
  PROXY_MAX_REQUEST_BYTES: intInRange(1_024, 10 * 1024 * 1024, 5 * 1024 * 1024),
  TAVILY_BASE_URL: z._default(url, 'https://api.tavily.com'),
  AGENT_MAX_MESSAGES: intInRange(1, 500, 50),
  AGENT_MAX_TOKENS: intInRange(1, 32_768, 1024),
  AGENT_TEMPERATURE: z._default(
    z.coerce.number({ error: 'must be a number' }).check(z.gte(0, 'must be at least 0'), z.lte(2, 'must be at most 2')),
    0,
  ),
  AGENT_RECURSION_LIMIT: intInRange(3, 100, 12),
  AGENT_MAX_CHARS: intInRange(1_000, 2_000_000, 200_000),
  AGENT_MAX_TOOL_CALLS_PER_STEP: intInRange(1, 32, 4),
  AGENT_MAX_TOOL_CALLS_PER_RUN: intInRange(1, 100, 8),
  AGENT_TOOLLESS_TTL_SECONDS: intInRange(0, 86_400, 900),
  PROXY_DEADLINE_MS: intInRange(1_000, 900_000, 290_000),
  PROXY_MAX_OUTPUT_TOKENS: intInRange(1, 1_000_000, 16_384),
  PROXY_MAX_CHOICES: intInRange(1, 128, 4),
  AGENT_DEADLINE_MS: intInRange(1_000, 900_000, 240_000),
  ALLOWED_ORIGINS: z.optional(z.string()),
  STUDIO_MODELS: z.optional(z.string()),
  STUDIO_MODELS_FILE: optionalText,
  CONSUMERS: optionalText,
  CONSUMERS_PARAMETER: optionalText,
  USAGE_TABLE: optionalText,
  // The IONOS contract (defaults: IONOS's standard limits); 0 per second/minute turns that limit off.
  IONOS_RATE_LIMIT: numberInRange(0, 10_000, 5),
  IONOS_BURST_LIMIT: intInRange(1, 100_000, 10),
  IONOS_IMAGES_PER_MINUTE: numberInRange(0, 100_000, 10),
  IONOS_IMAGES_BURST: intInRange(1, 100_000, 20),
  DYNAMODB_ENDPOINT: z.optional(url),
});

/** Typed runtime configuration. */
export interface RuntimeConfig {
  hubBaseUrl: string;
  studioBaseUrl: string;
  /** Secrets Manager secret name or ARN; when set, credentials come from it. */
  secretId: string | undefined;
  /** Credentials from env, for local runs without Secrets Manager. */
  envCredentials: { ionosApiToken?: string; studioApiKey?: string; studioOrgId?: string; tavilyApiKey?: string };
  secretCacheSeconds: number;
  upstreamTimeoutMs: number;
  maxRequestBytes: number;
  /** Body limit of the proxy, larger for images in chat messages. */
  proxyMaxRequestBytes: number;
  /**
   * Longest a buffered proxy answer (a non-streamed completion, a Studio job via /v1) may take; the
   * function's remaining time lowers it. Streams are bounded by `upstreamTimeoutMs` per pause instead.
   */
  proxyDeadlineMs: number;
  /** What one proxied request may ask IONOS to generate (denial of wallet). */
  proxyLimits: {
    /** Largest `max_tokens` / `max_completion_tokens`. */
    maxOutputTokens: number;
    /** Largest `n` (and `best_of`): choices or images per request. */
    maxChoices: number;
  };
  studioModels: StudioModelMap;
  tavilyBaseUrl: string;
  /** Origins whose browser requests get CORS headers (the gateway answers preflights). */
  allowedOrigins: string[];
  /** API key id → consumer (`CONSUMERS`). */
  consumers: ConsumerMap;
  /** The SSM parameter the stack writes `CONSUMERS` to (`CONSUMERS_PARAMETER`); read at run time when set. */
  consumersParameter: string | undefined;
  /** The DynamoDB table of the usage ledger (`USAGE_TABLE`); without one nothing is recorded. */
  usageTable: string | undefined;
  /** A DynamoDB-compatible endpoint instead of AWS's (`DYNAMODB_ENDPOINT`: npm start's embedded store). */
  dynamoDbEndpoint: string | undefined;
  /** The IONOS contract's limits, held in the usage table (`IONOS_RATE_LIMIT`, `IONOS_BURST_LIMIT`, `IONOS_IMAGES_*`). */
  contract: ContractLimits;
  agent: {
    /** Conversation messages kept (the most recent), leading system messages included. */
    maxMessages: number;
    /** Characters of text the kept conversation may hold. */
    maxChars: number;
    /** Tool calls run for one model reply; the rest are answered as skipped. */
    maxToolCallsPerStep: number;
    /** Tool calls one run may make; a run that wants more stops with a message saying so. */
    maxToolCallsPerRun: number;
    /** How long a model that refused tools is asked without them. */
    toolLessTtlMs: number;
    maxTokens: number;
    temperature: number;
    /** Graph steps before a run is stopped as a runaway tool loop. */
    recursionLimit: number;
    /** Longest a run may take; the function's remaining time lowers it. */
    deadlineMs: number;
  };
}

/** Thrown at cold start when the environment is invalid. */
export class ConfigError extends Error {}

/**
 * Parses and validates configuration from an environment.
 * @throws ConfigError naming every invalid variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): RuntimeConfig {
  // Empty strings mean "unset": CDK and shells often produce them for optional values.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${details.join('; ')}`);
  }
  const e = result.data;
  return {
    hubBaseUrl: e.IONOS_HUB_BASE_URL,
    studioBaseUrl: e.IONOS_STUDIO_BASE_URL,
    secretId: e.IONOS_SECRET_ID,
    envCredentials: {
      ionosApiToken: e.IONOS_API_TOKEN,
      studioApiKey: e.IONOS_STUDIO_API_KEY,
      studioOrgId: e.IONOS_STUDIO_ORG_ID,
      tavilyApiKey: e.TAVILY_API_KEY,
    },
    secretCacheSeconds: e.SECRET_CACHE_SECONDS,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    maxRequestBytes: e.MAX_REQUEST_BYTES,
    proxyMaxRequestBytes: e.PROXY_MAX_REQUEST_BYTES,
    proxyDeadlineMs: e.PROXY_DEADLINE_MS,
    proxyLimits: { maxOutputTokens: e.PROXY_MAX_OUTPUT_TOKENS, maxChoices: e.PROXY_MAX_CHOICES },
    studioModels: loadStudioModels(e.STUDIO_MODELS, e.STUDIO_MODELS_FILE),
    tavilyBaseUrl: e.TAVILY_BASE_URL,
    allowedOrigins: parseOrigins(e.ALLOWED_ORIGINS),
    consumers: loadConsumers(e.CONSUMERS),
    consumersParameter: e.CONSUMERS_PARAMETER,
    usageTable: e.USAGE_TABLE,
    dynamoDbEndpoint: e.DYNAMODB_ENDPOINT,
    contract: {
      requests: { perSecond: e.IONOS_RATE_LIMIT, burst: e.IONOS_BURST_LIMIT },
      images: { perSecond: e.IONOS_IMAGES_PER_MINUTE / 60, burst: e.IONOS_IMAGES_BURST },
    },
    agent: {
      maxMessages: e.AGENT_MAX_MESSAGES,
      maxChars: e.AGENT_MAX_CHARS,
      maxToolCallsPerStep: e.AGENT_MAX_TOOL_CALLS_PER_STEP,
      maxToolCallsPerRun: e.AGENT_MAX_TOOL_CALLS_PER_RUN,
      toolLessTtlMs: e.AGENT_TOOLLESS_TTL_SECONDS * 1000,
      maxTokens: e.AGENT_MAX_TOKENS,
      temperature: e.AGENT_TEMPERATURE,
      recursionLimit: e.AGENT_RECURSION_LIMIT,
      deadlineMs: e.AGENT_DEADLINE_MS,
    },
  };
}

/** `ALLOWED_ORIGINS`: a JSON list or a comma-separated list of origins. */
function parseOrigins(value: string | undefined): string[] {
  if (value === undefined) return [];
  const list = value.trim().startsWith('[') ? (JSON.parse(value) as unknown) : value.split(',');
  if (!Array.isArray(list) || !list.every((o) => typeof o === 'string' && /^https?:\/\/[^/\s]+$/.test(o.trim()))) {
    throw new ConfigError(
      'Invalid configuration: ALLOWED_ORIGINS: must list origins like https://app.example.com (scheme and host), as JSON or comma-separated',
    );
  }
  return list.map((o: string) => o.trim());
}

function loadConsumers(json: string | undefined): ConsumerMap {
  try {
    return parseConsumers(json);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`, { cause: err });
  }
}

function loadStudioModels(inline: string | undefined, file: string | undefined): StudioModelMap {
  try {
    if (inline !== undefined) return parseStudioModelMapJson(inline, 'STUDIO_MODELS');
    if (file === undefined) return {};
    let text: string;
    try {
      // Loaded only when a file is named: an ESM import of node:fs builds its whole facade at every cold start.
      text = process.getBuiltinModule('node:fs').readFileSync(file, 'utf8');
    } catch (cause) {
      throw new Error(`STUDIO_MODELS_FILE: cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return parseStudioModelMapJson(text, 'STUDIO_MODELS_FILE');
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`, { cause: err });
  }
}

let cached: RuntimeConfig | undefined;

/** The process-wide configuration, validated on first use (the cold start). */
export function getConfig(): RuntimeConfig {
  cached ??= loadConfig();
  return cached;
}
