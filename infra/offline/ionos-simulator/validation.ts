/**
 * Request validation against the IONOS schemas (the committed copy of the seed specs), so the simulator
 * rejects what IONOS rejects. One deviation: `content: null` on assistant messages that carry
 * `tool_calls` is accepted, as OpenAI clients send it and OpenAI-compatible servers take it.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

const document = JSON.parse(readFileSync(new URL('./ionos-openai-schemas.json', import.meta.url), 'utf8')) as object;
// OpenAPI's `discriminator` (with `mapping`, which Ajv does not support) is ignored; `oneOf` alone decides.
// Formats (int64, uri, …) are not checked: IONOS validates types and shapes here, and an unknown format would only warn.
const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
ajv.addSchema({ $id: 'ionos', ...document });

/** A compiled validator for a named schema of the IONOS document. */
export function validatorFor(schemaName: string): ValidateFunction {
  const validate = ajv.getSchema(`ionos#/components/schemas/${schemaName}`);
  if (validate === undefined) throw new Error(`no schema ${schemaName}`);
  return validate;
}

/** Validates a request body; returns an error message or undefined. */
export function checkRequest(schemaName: string, body: unknown): string | undefined {
  const validate = validatorFor(schemaName);
  const lenient = schemaName === 'ChatCompletionRequest' ? allowNullAssistantContent(body) : body;
  if (validate(lenient)) return undefined;
  const first = validate.errors?.[0];
  return first === undefined ? 'invalid request' : `${first.instancePath || 'body'} ${first.message ?? 'is invalid'}`;
}

function allowNullAssistantContent(body: unknown): unknown {
  const b = body as { messages?: unknown };
  if (!Array.isArray(b?.messages)) return body;
  return {
    ...b,
    messages: b.messages.map((m: Record<string, unknown>) =>
      m !== null && typeof m === 'object' && m.role === 'assistant' && m.content == null ? { ...m, content: '' } : m,
    ),
  };
}
