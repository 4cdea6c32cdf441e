/**
 * The fine-tuned Studio model map (display name → model UUID). Studio has no listing endpoint, so the
 * map is configuration: CDK context at deploy time, an env var or a JSON file for local runs.
 */
import { isStudioModelId } from '#shared/models/model-ids.ts';

/** Display name → Studio model UUID. */
export type StudioModelMap = Record<string, string>;

const MAX_NAME_LENGTH = 100;

/**
 * Validates a parsed map. Every problem is reported with the entry it concerns.
 * @param source names where the map came from (an env var, a context key) for the error message.
 * @throws Error listing each bad entry.
 */
export function parseStudioModelMap(value: unknown, source: string): StudioModelMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(
      `${source}: must be a JSON object mapping model names to Studio model UUIDs, e.g. {"qwen-gdpr":"7b19cae7-0983-4a6b-a03c-a647db48f00b"}`,
    );
  }
  const problems: string[] = [];
  const map: StudioModelMap = {};
  for (const [name, id] of Object.entries(value)) {
    if (name.trim() === '' || name.length > MAX_NAME_LENGTH) {
      problems.push(`entry "${name.slice(0, MAX_NAME_LENGTH)}": the name must be 1 to ${MAX_NAME_LENGTH} characters`);
    } else if (typeof id !== 'string' || !isStudioModelId(id)) {
      problems.push(`entry "${name}": ${JSON.stringify(id)} is not a UUID (expected e.g. 7b19cae7-0983-4a6b-a03c-a647db48f00b)`);
    } else {
      map[name] = id.toLowerCase();
    }
  }
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`);
  return map;
}

/** Parses the map from JSON text, with the same messages as {@link parseStudioModelMap}. */
export function parseStudioModelMapJson(text: string, source: string): StudioModelMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new Error(`${source}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  return parseStudioModelMap(parsed, source);
}
