/**
 * GET /studio/models: the fine-tuned Studio model names → UUIDs, for a frontend's model dropdown.
 * Studio has no listing endpoint, so the map is configuration (validated at cold start).
 */
import { getConfig } from '#shared/config.ts';
import { createHandler } from '#shared/http/handler.ts';
import { jsonResponse } from '#shared/http/json-response.ts';

const { studioModels } = getConfig('studio-models');

// The map changes only with a deploy; a few minutes in the browser cache keeps dropdowns cheap.
const CACHE_CONTROL = 'private, max-age=300';

export const handler = createHandler('studio-models', async () => jsonResponse(200, studioModels, { 'cache-control': CACHE_CONTROL }));
