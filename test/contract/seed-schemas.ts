/**
 * Extracts the IONOS OpenAI-compatible API schemas from the seed documents (OpenAPI fragments in
 * Markdown code blocks) into one document. The simulator validates requests against the committed copy
 * and the contract tests validate its responses; a test checks the copy still equals the seeds.
 *
 * Run `node test/contract/seed-schemas.ts` to rewrite the copy after the seed fixtures change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the committed copy lives. */
export const SCHEMA_COPY = new URL('../../infra/offline/ionos-simulator/ionos-openai-schemas.json', import.meta.url);

/** The seed documents the project keeps as fixtures (see seeds/README.md). */
export const SEEDS_DIR = new URL('./seeds/', import.meta.url).pathname;

interface OpenApiFragment {
  components?: { schemas?: Record<string, unknown> };
  paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
}

/** Builds `{ components: { schemas } }` from the endpoint and schema seed files. */
export function extractSchemas(seedsDir: string): { components: { schemas: Record<string, unknown> } } {
  const schemas: Record<string, unknown> = {};
  for (const file of ['ionos-hub-openai-endpoints.md', 'ionos-hub-openai-schemas.md']) {
    const text = readFileSync(join(seedsDir, file), 'utf8');
    for (const block of text.matchAll(/```json\n([\s\S]*?)\n```/g)) {
      const doc = JSON.parse(block[1] as string) as OpenApiFragment;
      Object.assign(schemas, doc.components?.schemas);
      // The models list response is defined inline in its path, not as a named schema.
      const inline = doc.paths?.['/v1/models']?.get?.responses?.['200']?.content?.['application/json']?.schema;
      if (inline !== undefined) schemas.ModelsListResponse = inline;
    }
  }
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return { components: { schemas: sorted } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? SEEDS_DIR;
  writeFileSync(SCHEMA_COPY, `${JSON.stringify(extractSchemas(dir), null, 2)}\n`);
  console.log(`wrote ${SCHEMA_COPY.pathname} from ${dir}`);
}
