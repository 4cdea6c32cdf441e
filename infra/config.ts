/**
 * Deploy-time configuration: CDK context (defaults in cdk.json, `-c key=value` overrides), validated at
 * synth with messages that name the key. Keys are flat so each can be overridden alone; `-c` values arrive
 * as strings, so JSON and numbers are parsed here. Two kinds of key:
 *
 * - the stack's own (below: names, the secret, consumers, the smoke test, alarms, concurrency);
 * - every runtime setting a deployer sets (`source: 'deploy'` in shared/settings.ts), under the setting's
 *   name in camelCase (`AGENT_MAX_TOKENS` is `agentMaxTokens`), validated by the setting's own validator and
 *   passed as that environment variable to the functions that read it. Its default is the setting's.
 */
import * as z from 'zod/mini';
import { isHubModelId } from '#shared/models/model-ids.ts';
import { parseStudioModelMap, type StudioModelMap } from '#shared/models/studio-map.ts';
import type { FunctionName } from '#shared/routes.ts';
import { deployKey, SETTINGS, type Setting } from '#shared/settings.ts';
import {
  BUDGET_KEYS,
  CONSUMER_NAME_PATTERN,
  CONSUMER_NAME_RULE,
  DEFAULT_CONTRACT_SHARE,
  type Budgets,
} from '#shared/usage/consumer-settings.ts';

/**
 * A usage-plan consumer: its own API key, rate, burst and daily quota (gateway), and its budgets and share
 * of the IONOS contract (functions). Rate and burst default to its share of the contract (one half unless
 * `contractShare` says otherwise), the gateway's coarse guard of what the functions' limiter enforces.
 */
export interface Consumer extends Budgets {
  rateLimit: number;
  burstLimit: number;
  dailyQuota: number;
}

/** Typed deploy configuration. */
export interface DeployConfig {
  stackName: string;
  stageName: string;
  logRetentionDays: number;
  studioModels: StudioModelMap;
  /** Name or ARN of an existing secret with the IONOS credentials; empty to create one. */
  ionosSecret: string;
  /** Origins a browser may call the API from. */
  allowedOrigins: string[];
  /** Usage-plan consumers by name; each gets an API key. */
  consumers: Record<string, Consumer>;
  /** Minutes between smoke runs, the model they ask, and retries of a failed run. */
  smokeIntervalMinutes: number;
  smokeModel: string;
  smokeRetryAttempts: number;
  /** Where alarm notifications go; empty for none (subscribe to the topic later). */
  alarmEmail: string;
  /**
   * Reserved concurrency of the agent, the proxy and the Responses API: what one consumer (or all together)
   * can hold at once, so they cannot exhaust the account's concurrency and starve the authorizer. See
   * docs/operations.md for sizing.
   */
  agentReservedConcurrency: number;
  proxyReservedConcurrency: number;
  responsesReservedConcurrency: number;
  /** Days before the IONOS token's expiry at which the alarm fires. */
  tokenExpiryAlarmDays: number;
  /** The runtime settings the deployer set (environment variable → value), for the functions that read them. */
  settings: Record<string, string>;
}

/** The runtime settings a deployer may set (the Studio map and the origins are stack keys of their own). */
export const DEPLOY_SETTINGS: readonly Setting[] = SETTINGS.filter(
  (s) => s.source === 'deploy' && s.name !== 'STUDIO_MODELS' && s.name !== 'ALLOWED_ORIGINS',
);

/** A numeric runtime setting as deployed: the deployer's value, else the setting's default. */
export function deployedNumber(config: Pick<DeployConfig, 'settings'>, name: string): number {
  const setting = SETTINGS.find((s) => s.name === name);
  if (setting === undefined) throw new Error(`no setting ${name}`);
  return Number(config.settings[name] ?? setting.default);
}

/**
 * The functions with reserved concurrency (those calling IONOS on a client's behalf), the context key that
 * sizes it, and the id of the alarm on their throttling. The authorizer and the smoke test stay uncapped, on
 * the unreserved pool, so a flood of agent or proxy calls cannot lock them out.
 */
export const RESERVED_CONCURRENCY = [
  { function: 'agent', key: 'agentReservedConcurrency', alarm: 'ThrottledAgent' },
  { function: 'hub-proxy', key: 'proxyReservedConcurrency', alarm: 'ThrottledProxy' },
  { function: 'responses', key: 'responsesReservedConcurrency', alarm: 'ThrottledResponses' },
] as const satisfies readonly { function: FunctionName; key: keyof DeployConfig; alarm: string }[];

// CloudWatch Logs accepts only these retention periods.
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** `-c` gives strings: a value that reads as JSON is that JSON. */
const fromString = (value: unknown) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
};
const json = <T extends z.ZodMiniType>(schema: T) => z.pipe(z.transform(fromString), schema);
const text = (pattern: RegExp, message: string) => z.string({ error: message }).check(z.regex(pattern, message));
const whole = (min: number, max: number, what = 'a whole number') =>
  json(
    z
      .number({ error: `must be ${what} from ${min} to ${max}` })
      .check(z.int(`must be ${what} from ${min} to ${max}`), z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
  );
const count = (what: string) =>
  z.optional(
    z
      .number({ error: `must be a number (${what})` })
      .check(z.int(`must be a whole number of ${what}`), z.positive(`must be greater than 0 (${what})`)),
  );
const origin = text(/^https?:\/\/[^/\s]+$/, 'each origin must look like https://app.example.com (scheme and host, no path)');

const consumer = z.strictObject({
  rateLimit: z.optional(
    json(z.number({ error: 'must be a number (requests per second)' }).check(z.positive('must be greater than 0 (requests per second)'))),
  ),
  burstLimit: z.optional(whole(1, 100_000)),
  dailyQuota: whole(1, 1_000_000_000),
  tokensPerMinute: count('tokens'),
  tokensPerDay: count('tokens'),
  tokensPerMonth: count('tokens'),
  imagesPerDay: count('images'),
  studioJobsPerDay: count('Studio jobs'),
  contractShare: z.optional(
    z
      .number({ error: 'must be a number (a fraction of the contract)' })
      .check(z.positive('must be above 0 (a fraction of the contract)'), z.lte(1, 'must be at most 1 (the whole contract)')),
  ),
});

const schema = z.object({
  stackName: text(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must start with a letter and contain only letters, digits and dashes'),
  stageName: text(/^[A-Za-z0-9_]{1,64}$/, 'must be 1-64 letters, digits or underscores'),
  logRetentionDays: json(z.number().check(z.refine((d) => RETENTION_DAYS.includes(d), `must be one of ${RETENTION_DAYS.join(', ')}`))),
  studioModels: json(z.unknown()),
  ionosSecret: text(
    /^$|^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:[\w/+=.@-]+$|^[\w/+=.@-]{1,512}$/,
    'must be empty, a secret name, or a complete secret ARN',
  ),
  allowedOrigins: json(z.array(origin, { error: 'must be a JSON list of origins' })),
  consumers: json(
    z
      .record(text(CONSUMER_NAME_PATTERN, `consumer names are ${CONSUMER_NAME_RULE}`), consumer, {
        error: 'must be a JSON object of consumers',
      })
      .check(z.refine((c) => Object.keys(c).length > 0, 'must name at least one consumer')),
  ),
  smokeIntervalMinutes: whole(1, 1440),
  smokeModel: z.string().check(z.refine(isHubModelId, 'must be a Hub model id like mistralai/Mistral-Small-24B-Instruct')),
  smokeRetryAttempts: whole(0, 185),
  alarmEmail: text(/^$|^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be empty or an email address'),
  // AWS keeps 100 of an account's concurrency unreserved, so the default 1,000 leaves 900 to reserve.
  agentReservedConcurrency: whole(1, 900),
  proxyReservedConcurrency: whole(1, 900),
  responsesReservedConcurrency: whole(1, 900),
  tokenExpiryAlarmDays: whole(1, 180),
});

/** What each of the stack's own keys means (the docs' table; the defaults are cdk.json's). */
export const STACK_KEYS: Record<keyof typeof schema.shape, string> = {
  stackName: 'CloudFormation stack and API name',
  stageName: 'API Gateway stage',
  logRetentionDays: 'retention of function and access logs, in days (an allowed CloudWatch value)',
  studioModels:
    'fine-tuned model names → Studio UUIDs, e.g. `-c studioModels=\'{"qwen-gdpr":"<uuid>"}\'` (the functions\' `STUDIO_MODELS`)',
  ionosSecret: 'name or complete ARN of an existing credentials secret; empty creates one',
  allowedOrigins: "browser origins (CORS), a JSON list (the functions' `ALLOWED_ORIGINS`); synth warns while it holds loopback origins",
  consumers:
    "usage plans: one API key each, with `dailyQuota` (requests); `rateLimit`/`burstLimit` default to the consumer's `contractShare` (default 0.5) of the contract; optional budgets `tokensPerMinute`, `tokensPerDay`, `tokensPerMonth`, `imagesPerDay`, `studioJobsPerDay` (the functions read them as `CONSUMERS`)",
  smokeIntervalMinutes: 'minutes between smoke runs',
  smokeModel: 'the (cheap) Hub model the smoke test asks',
  smokeRetryAttempts: 'retries of a failed smoke run',
  alarmEmail: 'email subscribed to the alarm topic (confirm the subscription mail); empty for none',
  agentReservedConcurrency: 'reserved concurrency of the agent function (see operations.md for the sizing)',
  proxyReservedConcurrency: 'reserved concurrency of the proxy function (`/v1/*` but the Responses API, the legacy `/models` routes)',
  responsesReservedConcurrency: 'reserved concurrency of the Responses API function (`/v1/responses`)',
  tokenExpiryAlarmDays: 'the *IonosTokenExpiring* alarm fires when the IONOS token has fewer days left',
};

/** Keys this project owns; any other key without a `@` or `:` (CDK's own flags) is a typo. */
export const CONFIG_KEYS = [...Object.keys(schema.shape), ...DEPLOY_SETTINGS.map((s) => deployKey(s.name))];

/** The deployer's runtime settings from the context, each checked by its own validator. */
function runtimeSettings(context: Record<string, unknown>, problems: string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const setting of DEPLOY_SETTINGS) {
    const key = deployKey(setting.name);
    const value = context[key];
    if (value === undefined || value === '') continue;
    const parsed = setting.schema.safeParse(String(value));
    if (!parsed.success) problems.push(`${key}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    else settings[setting.name] = String(parsed.data);
  }
  return settings;
}

/**
 * Validates the app's context.
 * @throws Error listing every bad, missing or unknown key.
 */
export function parseDeployConfig(context: Record<string, unknown>): DeployConfig {
  const problems: string[] = [];
  for (const key of Object.keys(context)) {
    if (!key.includes('@') && !key.includes(':') && !CONFIG_KEYS.includes(key))
      problems.push(`${key}: unknown configuration key (known: ${CONFIG_KEYS.join(', ')})`);
  }
  const own = Object.fromEntries(Object.entries(context).filter(([key]) => key in schema.shape));
  const result = schema.safeParse(own);
  if (!result.success) problems.push(...result.error.issues.map((i) => `${i.path.join('.') || 'context'}: ${i.message}`));
  const settings = runtimeSettings(context, problems);
  let studioModels: StudioModelMap = {};
  if (result.success) {
    try {
      studioModels = parseStudioModelMap(result.data.studioModels, 'studioModels');
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0 || !result.success)
    throw new Error(`Invalid deploy configuration (cdk.json context or -c):\n  ${problems.join('\n  ')}`);
  const rate = deployedNumber({ settings }, 'IONOS_REQUESTS_PER_SECOND');
  const burst = deployedNumber({ settings }, 'IONOS_REQUESTS_BURST');
  const consumers = Object.fromEntries(
    Object.entries(result.data.consumers).map(([name, c]) => {
      const share = c.contractShare ?? DEFAULT_CONTRACT_SHARE;
      const rateLimit = c.rateLimit ?? Math.round(rate * share * 100) / 100;
      const burstLimit = c.burstLimit ?? Math.max(1, Math.floor(burst * share));
      return [name, { ...c, rateLimit, burstLimit }];
    }),
  );
  return { ...result.data, consumers, studioModels, settings };
}

/** What the functions' consumer map holds of a consumer: its budgets and contract share (see `CONSUMERS`). */
export function consumerBudgets(consumer: Consumer | undefined): Budgets {
  const budgets: Budgets = {};
  for (const key of [...BUDGET_KEYS, 'contractShare'] as const) if (consumer?.[key] !== undefined) budgets[key] = consumer[key];
  return budgets;
}
