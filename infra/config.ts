/**
 * Deploy-time configuration: CDK context (defaults in cdk.json, `-c key=value` overrides), validated at
 * synth with messages that name the key. `-c` values arrive as strings, so JSON and numbers are parsed here.
 */
import { z } from 'zod';
import { parseStudioModelMap, type StudioModelMap } from '#shared/models/studio-map.ts';

/** Typed deploy configuration. */
export interface DeployConfig {
  stackName: string;
  stageName: string;
  logRetentionDays: number;
  studioModels: StudioModelMap;
}

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

const schema = z.object({
  stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must start with a letter and contain only letters, digits and dashes'),
  stageName: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be 1-64 letters, digits or underscores'),
  logRetentionDays: z.preprocess(fromString, z.number().refine((d) => RETENTION_DAYS.includes(d), `must be one of ${RETENTION_DAYS.join(', ')}`)),
  studioModels: z.preprocess(fromString, z.unknown()),
});

/** Keys this project owns; any other key without a `@` or `:` (CDK's own flags) is a typo. */
export const CONFIG_KEYS = Object.keys(schema.shape);

/**
 * Validates the app's context.
 * @throws Error listing every bad or unknown key.
 */
export function parseDeployConfig(context: Record<string, unknown>): DeployConfig {
  const problems: string[] = [];
  for (const key of Object.keys(context)) {
    if (!key.includes('@') && !key.includes(':') && !CONFIG_KEYS.includes(key)) problems.push(`${key}: unknown configuration key (known: ${CONFIG_KEYS.join(', ')})`);
  }
  const result = schema.safeParse(context);
  if (!result.success) problems.push(...result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  let studioModels: StudioModelMap = {};
  if (result.success) {
    try {
      studioModels = parseStudioModelMap(result.data.studioModels, 'studioModels');
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0 || !result.success) throw new Error(`Invalid deploy configuration (cdk.json context or -c):\n  ${problems.join('\n  ')}`);
  return { ...result.data, logRetentionDays: result.data.logRetentionDays, studioModels };
}
