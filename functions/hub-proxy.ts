/**
 * The OpenAI-compatible proxy to the IONOS Hub (`/v1/*`; Studio UUIDs for chat completions), the caller's
 * usage (`GET /v1/usage`) and the legacy native routes (`GET /models`, `POST /models/{modelId}/predictions`).
 * A response-streaming handler, so streams are relayed as they arrive and long completions are not cut at
 * API Gateway's 29 s. The Responses API on top of the Hub is functions/responses.ts.
 */
import { getConfig } from '#shared/config.ts';
import { createCredentialStore } from '#shared/credentials.ts';
import { readJsonObject } from '#shared/http/event.ts';
import { consumerOf, createHandler } from '#shared/http/handler.ts';
import { createHubClient } from '#shared/ionos/hub-client.ts';
import { createStudioClient } from '#shared/ionos/studio-client.ts';
import { createPipeline } from '#shared/pipeline/hub-request.ts';
import { forward, proxyCallOf } from '#shared/proxy/forward.ts';
import { legacyListModels, legacyPredict } from '#shared/proxy/legacy.ts';
import { fillPath, operationOf } from '#shared/routes.ts';
import { workDeadlineMs } from '#shared/time.ts';
import { usageAnswer } from '#shared/usage/usage-route.ts';
import { budgetUse, usageLedger } from '#shared/usage/usage-parts.ts';

const config = getConfig('hub-proxy');
const credentials = createCredentialStore(config);
// The IONOS clients belong to the pipeline: every call to IONOS is admitted, limited and recorded there.
const pipeline = createPipeline({ hub: createHubClient(config, credentials), studio: createStudioClient(config, credentials) });

const PREDICTIONS = /^(.+)\/predictions$/;

export const handler = createHandler('hub-proxy', async (event, context, { signal }) => {
  const deadlineMs = workDeadlineMs(context, config.proxyDeadlineMs);
  const operation = operationOf(event.resource);
  const consumer = consumerOf(event);
  if (operation === 'usage') return usageAnswer(consumer, usageLedger(), budgetUse);
  const request = pipeline.begin({
    consumer,
    kind: 'proxied',
    route: operation === 'proxy' ? 'unknown' : event.resource,
    requestId: context.awsRequestId,
    mode: 'buffered',
    signal,
  });
  const path = fillPath(event.resource, event.pathParameters);
  request.fields.path = path.slice(0, 200);
  return request.run(async () => {
    if (operation === 'legacy-models') return legacyListModels(request);
    if (operation === 'legacy-predict') {
      // The model id has a slash (provider/name); a greedy path keeps it whether or not the client encoded it.
      const modelId = PREDICTIONS.exec(event.pathParameters?.modelPath ?? '')?.[1] ?? '';
      return legacyPredict(modelId, readJsonObject(event, config.proxyMaxRequestBytes), request, {
        limits: config.proxyLimits,
        deadlineMs,
      });
    }
    return forward(proxyCallOf(event, path, config.proxyMaxRequestBytes), request, { config, deadlineMs });
  });
});
