/**
 * The OpenAI-compatible proxy to the IONOS Hub (`/v1/*`; Studio UUIDs for chat completions), the Responses
 * API on top of it (`POST /v1/responses`), the caller's usage (`GET /v1/usage`) and the legacy native routes
 * (`GET /models`, `POST /models/{modelId}/predictions`). A response-streaming handler, so streams are
 * relayed as they arrive and long completions are not cut at API Gateway's 29 s.
 */
import { getConfig } from '#shared/config.ts';
import { createCredentialStore } from '#shared/credentials.ts';
import { readBody, readJsonObject } from '#shared/http/event.ts';
import { consumerOf, createHandler } from '#shared/http/handler.ts';
import { createHubClient } from '#shared/ionos/hub-client.ts';
import { createStudioClient } from '#shared/ionos/studio-client.ts';
import { forward } from '#shared/proxy/forward.ts';
import { responses, storedResponse } from '#shared/responses/bridge.ts';
import { forwardedRequestHeaders } from '#shared/proxy/headers.ts';
import { legacyListModels, legacyPredict } from '#shared/proxy/legacy.ts';
import { fillPath, operationOf } from '#shared/routes.ts';
import { workDeadlineMs } from '#shared/time.ts';
import { usageAnswer } from '#shared/usage/usage-answer.ts';
import { budgetUse, contractSlot, usageLedger } from '#shared/usage/usage.ts';

const config = getConfig();
const credentials = createCredentialStore(config);
const contract = contractSlot();
const hub = createHubClient(config, credentials, contract);
const studio = createStudioClient(config, credentials, undefined, contract);

const PREDICTIONS = /^(.+)\/predictions$/;

export const handler = createHandler('hub-proxy', async (event, context, { signal }) => {
  const deadlineMs = workDeadlineMs(context, config.proxyDeadlineMs);
  const operation = operationOf(event.resource);
  if (operation === 'usage') return usageAnswer(consumerOf(event), usageLedger(), budgetUse);
  if (operation === 'response-item') return storedResponse(event.httpMethod, event.pathParameters?.id ?? '', consumerOf(event));
  if (operation === 'legacy-models') return legacyListModels(hub);
  if (operation === 'legacy-predict') {
    // The model id has a slash (provider/name); a greedy path keeps it whether or not the client encoded it.
    const modelId = PREDICTIONS.exec(event.pathParameters?.modelPath ?? '')?.[1] ?? '';
    return legacyPredict(modelId, readJsonObject(event, config.proxyMaxRequestBytes), hub, {
      limits: config.proxyLimits,
      deadlineMs,
      signal,
    });
  }
  const call = {
    method: event.httpMethod,
    path: fillPath(event.resource, event.pathParameters),
    resource: event.resource,
    body: readBody(event, config.proxyMaxRequestBytes),
    headers: forwardedRequestHeaders(event),
    requestId: context.awsRequestId,
    signal,
    consumer: consumerOf(event),
  };
  const deps = { hub, studio, config, deadlineMs };
  return operation === 'responses' ? responses(call, deps) : forward(call, deps);
});
