/**
 * Runtime configuration from environment variables, validated once at cold start.
 *
 * In Lambda the stack sets these; `npm start` sets them from the shell or for the simulator. A bad value
 * fails the cold start with a message that names the variable (secret values are never echoed).
 */
import * as z from 'zod/mini';
import { parseStudioModelMapJson, type StudioModelMap } from '#shared/models/studio-map.ts';
import type { FunctionName } from '#shared/routes.ts';
import { SETTINGS, settingsOf } from '#shared/settings.ts';
import { parseConsumers, type ConsumerMap } from '#shared/usage/consumer-settings.ts';
import type { ContractLimits } from '#shared/usage/contract.ts';

let defaults: Record<string, unknown> | undefined;

/** Every setting's default (what an empty environment parses to), computed once. */
function defaultSettings(): Record<string, unknown> {
  defaults ??= schemaOf('all').parse({}) as Record<string, unknown>;
  return defaults;
}

/** The validator of the settings `fn` reads (all of them for `all`: npm start and the tests run every function). */
function schemaOf(fn: FunctionName | 'all') {
  const settings = fn === 'all' ? SETTINGS : settingsOf(fn);
  return z.object(Object.fromEntries(settings.map((s) => [s.name, s.schema])));
}

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
  /** The IONOS contract's limits, held in the usage table (`IONOS_REQUESTS_PER_SECOND`, `IONOS_REQUESTS_BURST`, `IONOS_IMAGES_*`). */
  contract: ContractLimits;
  /** The smoke test's target, key and model (set by the stack). */
  smoke: { apiUrl: string | undefined; keySecretArn: string | undefined; model: string | undefined };
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
    /** The model of a thread run that names none, on a thread that has none. */
    defaultModel: string;
    /** Days a thread is kept after its last run. */
    threadTtlDays: number;
  };
}

/** The parsed settings by name (numbers, strings, or unset). */
type Settings = {
  [
    K in
      | 'SECRET_CACHE_SECONDS'
      | 'UPSTREAM_TIMEOUT_MS'
      | 'AGENT_MAX_REQUEST_BYTES'
      | 'PROXY_MAX_REQUEST_BYTES'
      | 'PROXY_DEADLINE_MS'
      | 'PROXY_MAX_OUTPUT_TOKENS'
      | 'PROXY_MAX_CHOICES'
      | 'AGENT_MAX_MESSAGES'
      | 'AGENT_MAX_CHARS'
      | 'AGENT_MAX_TOOL_CALLS_PER_STEP'
      | 'AGENT_MAX_TOOL_CALLS_PER_RUN'
      | 'AGENT_TOOLLESS_TTL_SECONDS'
      | 'AGENT_MAX_TOKENS'
      | 'AGENT_TEMPERATURE'
      | 'AGENT_RECURSION_LIMIT'
      | 'AGENT_DEADLINE_MS'
      | 'THREAD_TTL_DAYS'
      | 'IONOS_REQUESTS_PER_SECOND'
      | 'IONOS_REQUESTS_BURST'
      | 'IONOS_IMAGES_PER_MINUTE'
      | 'IONOS_IMAGES_BURST'
  ]: number;
} & {
  [K in 'IONOS_HUB_BASE_URL' | 'IONOS_STUDIO_BASE_URL' | 'TAVILY_BASE_URL']: string;
} & {
  [
    K in
      | 'IONOS_SECRET_ID'
      | 'IONOS_API_TOKEN'
      | 'IONOS_STUDIO_API_KEY'
      | 'IONOS_STUDIO_ORG_ID'
      | 'TAVILY_API_KEY'
      | 'ALLOWED_ORIGINS'
      | 'STUDIO_MODELS'
      | 'STUDIO_MODELS_FILE'
      | 'CONSUMERS'
      | 'CONSUMERS_PARAMETER'
      | 'USAGE_TABLE'
      | 'API_URL'
      | 'SMOKE_KEY_SECRET_ARN'
      | 'SMOKE_MODEL'
      | 'DYNAMODB_ENDPOINT'
  ]: string | undefined;
} & {
  AGENT_DEFAULT_MODEL: string;
};

/** Thrown at cold start when the environment is invalid. */
export class ConfigError extends Error {}

/**
 * Parses and validates the settings `fn` reads (shared/settings.ts) from an environment; the others keep
 * their defaults, so a function never fails on, nor follows, a setting that is not its own.
 * @throws ConfigError naming every invalid variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, fn: FunctionName | 'all' = 'all'): RuntimeConfig {
  const own = new Set((fn === 'all' ? SETTINGS : settingsOf(fn)).map((s) => s.name));
  // Empty strings mean "unset": CDK and shells often produce them for optional values.
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => own.has(k) && v !== undefined && v !== ''));
  const result = schemaOf(fn).safeParse(present);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${details.join('; ')}`);
  }
  const e = { ...defaultSettings(), ...result.data } as Record<string, unknown> as Settings;
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
    maxRequestBytes: e.AGENT_MAX_REQUEST_BYTES,
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
      requests: { perSecond: e.IONOS_REQUESTS_PER_SECOND, burst: e.IONOS_REQUESTS_BURST },
      images: { perSecond: e.IONOS_IMAGES_PER_MINUTE / 60, burst: e.IONOS_IMAGES_BURST },
    },
    smoke: { apiUrl: e.API_URL, keySecretArn: e.SMOKE_KEY_SECRET_ARN, model: e.SMOKE_MODEL },
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
      defaultModel: e.AGENT_DEFAULT_MODEL,
      threadTtlDays: e.THREAD_TTL_DAYS,
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

const cached = new Map<FunctionName | 'all', RuntimeConfig>();

/**
 * The configuration of `fn`, validated on first use (the cold start). Shared code that does not know its
 * function asks for `all`: in Lambda only the function's own settings are in its environment (the stack
 * sets no other), and npm start runs every function in one process.
 */
export function getConfig(fn: FunctionName | 'all' = 'all'): RuntimeConfig {
  let config = cached.get(fn);
  if (config === undefined) cached.set(fn, (config = loadConfig(process.env, fn)));
  return config;
}
