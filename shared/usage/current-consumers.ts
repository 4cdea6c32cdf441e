/**
 * The consumer map in force: `CONSUMERS` from the environment (npm start, tests) or, deployed, the SSM
 * parameter the stack writes it to (`CONSUMERS_PARAMETER`: API key ids exist only once the keys do, and
 * handing them to the functions' environment would be a dependency cycle). The parameter is re-read at most
 * every five minutes; if it cannot be read, the last map read stays in force (at first: no names, no
 * budgets; usage is then recorded by API key id) and the failure is logged.
 */
import { getConfig } from '#shared/config.ts';
import { logger } from '#shared/logger.ts';
import { SsmParameterSource } from '#shared/secrets-source.ts';
import { parseConsumers, type ConsumerMap } from '#shared/usage/consumer-settings.ts';

const MAX_AGE_SECONDS = 300;
let current: ConsumerMap | undefined;
let read: string | undefined;
let source: SsmParameterSource | undefined;

/** The map in force. */
export function currentConsumers(): ConsumerMap {
  return (current ??= getConfig().consumers);
}

/** Reads the parameter again when its cached value is older than five minutes (no-op without one). */
export async function refreshConsumers(): Promise<void> {
  const name = getConfig().consumersParameter;
  if (name === undefined) return;
  try {
    source ??= new SsmParameterSource();
    const value = (await source.get(name, { maxAge: MAX_AGE_SECONDS })) as string | undefined;
    if (value === undefined || value === read) return;
    current = parseConsumers(value);
    read = value;
  } catch (err) {
    logger.error('consumer map could not be read; the last one read stays in force', { parameter: name, error: err as Error });
  }
}
