/**
 * The Hub's retired native API (`GET /models`, `POST /models/{modelId}/predictions`, removed by IONOS on
 * 2026-05-05), kept working for old clients by translating to the OpenAI-compatible endpoints and back
 * into the legacy `ModelsCollection` and `ModelsPrediction` shapes. Answers say they are deprecated.
 */
import * as z from 'zod/mini';
import { BadRequestError } from '#shared/errors.ts';
import { jsonResponse } from '#shared/http/json-response.ts';
import type { JsonResponse } from '#shared/errors.ts';
import type { HubModel } from '#shared/ionos/hub-client.ts';
import { readJsonAnswer } from '#shared/http/upstream-fetch.ts';
import { HUB, HUB_PATHS } from '#shared/ionos/upstreams.ts';
import { routeModel } from '#shared/models/route-model.ts';
import type { RuntimeConfig } from '#shared/config.ts';
import { hubEstimate, NO_COST } from '#shared/pipeline/estimate.ts';
import type { HubRequest } from '#shared/pipeline/hub-request.ts';
import { ENDPOINTS } from '#shared/proxy/endpoints.ts';
import { checkGenerationLimits } from '#shared/proxy/limits.ts';

const RETIRED = new Date('2026-05-05T00:00:00Z');

/** RFC 9745 `Deprecation`, RFC 8594 `Sunset`, and a `Link` to the successor route. */
function deprecation(successor: string): Record<string, string> {
  return { deprecation: `@${RETIRED.getTime() / 1000}`, sunset: RETIRED.toUTCString(), link: `<${successor}>; rel="successor-version"` };
}

/** `GET /models` → `GET /v1/models`, as a ModelsCollection. */
export async function legacyListModels(request: HubRequest): Promise<JsonResponse> {
  request.model = 'none';
  const { response, call } = await request.hubFetch(HUB_PATHS.models, { retry: { attempts: 3 }, estimate: NO_COST });
  const listed = (await readJsonAnswer(HUB, response)) as { data?: HubModel[] } | null;
  call.answered(listed);
  const models = Array.isArray(listed?.data) ? listed.data : [];
  const items = models.map((m) => {
    const date = new Date((m.created ?? 0) * 1000).toISOString();
    return {
      id: m.id,
      type: 'model',
      properties: { name: m.id, description: `${m.id} on the IONOS AI Model Hub (owned by ${m.owned_by}).`, category: 'text/nlp' },
      metadata: { createdDate: date, lastModifiedDate: date },
    };
  });
  request.finish(200, 'complete');
  return jsonResponse(200, { id: 'models', type: 'collection', href: '/models', items }, deprecation(HUB_PATHS.models));
}

const predictionBody = z.object({
  type: z.optional(z.literal('prediction', { error: 'must be "prediction"' })),
  properties: z.object(
    {
      input: z.string({ error: 'must be a string' }).check(z.minLength(1, 'must not be empty')),
      options: z.optional(z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of strings' })),
    },
    { error: 'must be an object with "input"' },
  ),
});

// Native option names → chat completion fields; values arrive as strings.
const OPTIONS: Record<string, { field: string; integer: boolean }> = {
  max_tokens: { field: 'max_tokens', integer: true },
  maxTokens: { field: 'max_tokens', integer: true },
  temperature: { field: 'temperature', integer: false },
  top_p: { field: 'top_p', integer: false },
  topP: { field: 'top_p', integer: false },
};

function chatOptions(options: Record<string, string> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, raw] of Object.entries(options)) {
    const spec = OPTIONS[key];
    if (spec === undefined) continue; // other native options have no chat equivalent
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || (spec.integer && !Number.isInteger(value))) {
      throw new BadRequestError(`properties.options.${key} must be a ${spec.integer ? 'whole ' : ''}number (as a string).`, {
        param: `properties.options.${key}`,
      });
    }
    out[spec.field] = value;
  }
  return out;
}

/** What a prediction is held to: the proxy's limits and its deadline. */
export interface PredictionBounds {
  limits: RuntimeConfig['proxyLimits'];
  /** Time the completion may take (`PROXY_DEADLINE_MS`). */
  deadlineMs: number;
}

/** `POST /models/{modelId}/predictions` → `POST /v1/chat/completions`, as a ModelsPrediction. */
export async function legacyPredict(
  modelId: string,
  body: Record<string, unknown>,
  request: HubRequest,
  bounds: PredictionBounds,
): Promise<JsonResponse> {
  const { modelId: model } = routeModel(modelId, 'modelId');
  const parsed = predictionBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const param = issue.path.map(String).join('.') || 'body';
    throw new BadRequestError(`Invalid prediction request: ${param} ${issue.message}.`, { param });
  }
  const { input, options } = parsed.data.properties;
  const completionRequest = { model, messages: [{ role: 'user', content: input }], ...chatOptions(options) };
  checkGenerationLimits(completionRequest, ENDPOINTS[HUB_PATHS.chatCompletions] as (typeof ENDPOINTS)[string], bounds.limits);
  request.model = model;
  const started = Date.now();
  const chat = JSON.stringify(completionRequest);
  const bytes = Buffer.byteLength(chat);
  const { response, call } = await request.hubFetch(HUB_PATHS.chatCompletions, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: chat,
    timeoutMs: bounds.deadlineMs,
    estimate: hubEstimate(HUB_PATHS.chatCompletions, completionRequest, bytes),
  });
  const completion = (await readJsonAnswer(HUB, response)) as {
    choices?: { message?: { content?: string | null } }[];
    usage?: { prompt_tokens?: number; completion_tokens?: number };
  };
  call.answered(completion);
  request.finish(200, 'complete');
  const now = new Date().toISOString();
  const inputTokens = completion.usage?.prompt_tokens ?? 0;
  const outputTokens = completion.usage?.completion_tokens ?? 0;
  return jsonResponse(
    200,
    {
      type: 'prediction',
      properties: {
        input,
        output: completion.choices?.[0]?.message?.content ?? '',
        inputLengthInTokens: inputTokens,
        outputLengthInTokens: outputTokens,
      },
      metadata: { createdDate: now, lastModifiedDate: now, duration: Date.now() - started, inputTokens, outputTokens },
    },
    deprecation(HUB_PATHS.chatCompletions),
  );
}
