/**
 * Validation against the Open Responses specification (the fixture in test/contract/open-responses/): a
 * response object, an output item, or a stream event by its `type`. What the specification does not define
 * (the items and events of custom and hosted search tools) is named, so a test checks those otherwise.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

const SPEC = JSON.parse(
  readFileSync(new URL('../contract/open-responses/open-responses-2026-04-24.openapi.json', import.meta.url), 'utf8'),
) as { components: { schemas: Record<string, { properties?: { type?: { enum?: string[] } } }> } };

// OpenAPI's `discriminator` and the `x-` annotations are not JSON Schema keywords: not strict, so they are skipped.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'open-responses', components: SPEC.components });
const schema = (name: string): ValidateFunction => {
  const validate = ajv.getSchema(`open-responses#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`no schema ${name}`);
  return validate;
};

/** Stream event schemas by their `type`. */
const EVENTS = new Map(
  Object.entries(SPEC.components.schemas)
    .filter(([name]) => name.endsWith('StreamingEvent'))
    .map(([name, s]) => [s.properties?.type?.enum?.[0] ?? '', name]),
);

/** Item and event types the specification does not define (checked against the OpenAI SDK's shapes instead). */
export const OUTSIDE_SPEC = {
  items: new Set(['custom_tool_call', 'web_search_call']),
  tools: new Set(['custom', 'namespace', 'web_search', 'web_search_preview']),
};

const errorsOf = (validate: ValidateFunction, value: unknown): string[] =>
  validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);

/**
 * The specification's complaints about a response object ([] when valid). Items and tools of types outside
 * it are left out first (their own shapes are checked by the caller).
 */
export function responseErrors(response: unknown): string[] {
  const r = response as { output?: { type?: string }[]; tools?: { type?: string }[] };
  const inSpec = {
    ...r,
    output: r.output?.filter((i) => !OUTSIDE_SPEC.items.has(i.type ?? '')),
    tools: r.tools?.filter((t) => !OUTSIDE_SPEC.tools.has(t.type ?? '')),
  };
  return errorsOf(schema('ResponseResource'), inSpec);
}

/** The specification's complaints about one stream event ([] when valid; an event it does not define is named). */
export function eventErrors(event: { type?: string; response?: unknown; item?: { type?: string } }): string[] {
  const type = event.type ?? '';
  if (OUTSIDE_SPEC.items.has(event.item?.type ?? '')) return [];
  if (type.startsWith('response.web_search_call.') || type.startsWith('response.custom_tool_call_input.')) return [];
  const name = EVENTS.get(type);
  if (name === undefined) return [`${type}: not an event of the specification`];
  if (event.response !== undefined) {
    const { response, ...rest } = event;
    return [
      ...errorsOf(schema(name), { ...rest, response: { ...(response as object), output: [], tools: [] } }),
      ...responseErrors(response),
    ];
  }
  return errorsOf(schema(name), event);
}
