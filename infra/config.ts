/**
 * Deploy-time configuration: CDK context (defaults in cdk.json, `-c key=value` overrides), validated at
 * synth with messages that name the key. Keys are flat so each can be overridden alone; `-c` values arrive
 * as strings, so JSON and numbers are parsed here.
 */
import { z } from 'zod';
import { isHubModelId } from '#shared/models/model-ids.ts';
import { parseStudioModelMap, type StudioModelMap } from '#shared/models/studio-map.ts';
import type { FunctionName } from '#shared/routes.ts';
import { BUDGET_KEYS, DEFAULT_CONTRACT_SHARE, type Budgets } from '#shared/usage/consumer-settings.ts';

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
  /** The IONOS contract: sustained requests/s and burst for the whole API, image generations per minute. */
  ionosRateLimit: number;
  ionosBurstLimit: number;
  ionosImagesPerMinute: number;
  ionosImagesBurst: number;
  /** Minutes between smoke runs, the model they ask, and retries of a failed run. */
  smokeIntervalMinutes: number;
  smokeModel: string;
  smokeRetryAttempts: number;
  /** Where alarm notifications go; empty for none (subscribe to the topic later). */
  alarmEmail: string;
  /**
   * Reserved concurrency of the agent and the proxy: what one consumer (or all together) can hold at once,
   * so they cannot exhaust the account's concurrency and starve the authorizer. See docs/operations.md for sizing.
   */
  agentReservedConcurrency: number;
  proxyReservedConcurrency: number;
  /** What one request may cost (PROXY_MAX_OUTPUT_TOKENS, PROXY_MAX_CHOICES, AGENT_MAX_TOOL_CALLS_*). */
  proxyMaxOutputTokens: number;
  proxyMaxChoices: number;
  agentMaxToolCallsPerStep: number;
  agentMaxToolCallsPerRun: number;
  /** Days before the IONOS token's expiry at which the alarm fires. */
  tokenExpiryAlarmDays: number;
}

/**
 * The functions with reserved concurrency (those calling IONOS on a client's behalf), the context key that
 * sizes it, and the id of the alarm on their throttling. The authorizer and the smoke test stay uncapped, on
 * the unreserved pool, so a flood of agent or proxy calls cannot lock them out.
 */
export const RESERVED_CONCURRENCY = [
  { function: 'agent', key: 'agentReservedConcurrency', alarm: 'ThrottledAgent' },
  { function: 'hub-proxy', key: 'proxyReservedConcurrency', alarm: 'ThrottledProxy' },
] as const satisfies readonly { function: FunctionName; key: keyof DeployConfig; alarm: string }[];

// CloudWatch Logs accepts only these retention periods.
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const fromString = (value: unknown) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
};
const json = <T extends z.ZodType>(schema: T) => z.preprocess(fromString, schema);
const positive = (what: string) => json(z.number({ error: `must be a number (${what})` }).positive(`must be greater than 0 (${what})`));
const tokens = z.number().int('must be a whole number of tokens').positive('must be greater than 0 (tokens)');
const wholeNumber = (min: number, max: number) =>
  json(
    z
      .number({ error: `must be a whole number from ${min} to ${max}` })
      .int(`must be a whole number from ${min} to ${max}`)
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );
const origin = z.string().regex(/^https?:\/\/[^/\s]+$/, 'each origin must look like https://app.example.com (scheme and host, no path)');

const schema = z.object({
  stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must start with a letter and contain only letters, digits and dashes'),
  stageName: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be 1-64 letters, digits or underscores'),
  logRetentionDays: json(z.number().refine((d) => RETENTION_DAYS.includes(d), `must be one of ${RETENTION_DAYS.join(', ')}`)),
  studioModels: json(z.unknown()),
  ionosSecret: z
    .string()
    .regex(
      /^$|^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:[\w/+=.@-]+$|^[\w/+=.@-]{1,512}$/,
      'must be empty, a secret name, or a complete secret ARN',
    ),
  allowedOrigins: json(z.array(origin, { error: 'must be a JSON list of origins' })),
  consumers: json(
    z
      .record(
        z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'consumer names are 1-64 letters, digits or dashes'),
        z
          .object({
            rateLimit: z.optional(positive('requests per second')),
            burstLimit: z.optional(json(z.number().int().positive('must be a whole number greater than 0'))),
            dailyQuota: json(z.number().int().positive('must be a whole number greater than 0')),
            tokensPerMinute: z.optional(tokens),
            tokensPerDay: z.optional(tokens),
            tokensPerMonth: z.optional(tokens),
            imagesPerDay: z.optional(z.number().int('must be a whole number of images').positive('must be greater than 0 (images)')),
            studioJobsPerDay: z.optional(
              z.number().int('must be a whole number of Studio jobs').positive('must be greater than 0 (Studio jobs)'),
            ),
            contractShare: z.optional(
              z.number().positive('must be above 0 (a fraction of the contract)').max(1, 'must be at most 1 (the whole contract)'),
            ),
          })
          .strict(),
        { error: 'must be a JSON object of consumers' },
      )
      .refine((c) => Object.keys(c).length > 0, 'must name at least one consumer'),
  ),
  ionosRateLimit: positive('requests per second'),
  ionosBurstLimit: json(z.number().int().positive('must be a whole number greater than 0')),
  ionosImagesPerMinute: positive('requests per minute'),
  ionosImagesBurst: json(z.number().int().positive('must be a whole number greater than 0')),
  smokeIntervalMinutes: json(z.number().int().min(1, 'must be at least 1').max(1440, 'must be at most 1440')),
  smokeModel: z.string().refine(isHubModelId, 'must be a Hub model id like mistralai/Mistral-Small-24B-Instruct'),
  smokeRetryAttempts: json(z.number().int().min(0, 'must be 0 to 185').max(185, 'must be 0 to 185')),
  alarmEmail: z.string().regex(/^$|^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be empty or an email address'),
  // AWS keeps 100 of an account's concurrency unreserved, so the default 1,000 leaves 900 to reserve.
  agentReservedConcurrency: wholeNumber(1, 900),
  proxyReservedConcurrency: wholeNumber(1, 900),
  proxyMaxOutputTokens: wholeNumber(1, 1_000_000),
  proxyMaxChoices: wholeNumber(1, 128),
  agentMaxToolCallsPerStep: wholeNumber(1, 32),
  agentMaxToolCallsPerRun: wholeNumber(1, 100),
  tokenExpiryAlarmDays: wholeNumber(1, 180),
});

/** Keys this project owns; any other key without a `@` or `:` (CDK's own flags) is a typo. */
export const CONFIG_KEYS = Object.keys(schema.shape);

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
  const result = schema.safeParse(context);
  if (!result.success) problems.push(...result.error.issues.map((i) => `${i.path.join('.') || 'context'}: ${i.message}`));
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
  const { ionosRateLimit, ionosBurstLimit } = result.data;
  const consumers = Object.fromEntries(
    Object.entries(result.data.consumers).map(([name, c]) => {
      const share = c.contractShare ?? DEFAULT_CONTRACT_SHARE;
      const rateLimit = c.rateLimit ?? Math.round(ionosRateLimit * share * 100) / 100;
      const burstLimit = c.burstLimit ?? Math.max(1, Math.floor(ionosBurstLimit * share));
      return [name, { ...c, rateLimit, burstLimit }];
    }),
  );
  return { ...result.data, consumers, studioModels };
}

/** What the functions' consumer map holds of a consumer: its budgets and contract share (see `CONSUMERS`). */
export function consumerBudgets(consumer: Consumer | undefined): Budgets {
  const budgets: Budgets = {};
  for (const key of [...BUDGET_KEYS, 'contractShare'] as const) if (consumer?.[key] !== undefined) budgets[key] = consumer[key];
  return budgets;
}
