/**
 * The OpenAI Responses API over the Hub's chat completions (`POST /v1/responses`, buffered or streamed, with
 * the hosted web_search tool), and the caller's stored responses (`GET` / `DELETE /v1/responses/{id}`).
 * Its own function, apart from the `/v1` pass-through: one response is a tool loop of several Hub calls and
 * searches, which should not hold the thin proxy's reserved concurrency, and the proxy keeps a small bundle.
 */
import { getConfig } from '#shared/config.ts';
import { createCredentialStore } from '#shared/credentials.ts';
import { consumerOf, createHandler } from '#shared/http/handler.ts';
import { createHubClient } from '#shared/ionos/hub-client.ts';
import { createStudioClient } from '#shared/ionos/studio-client.ts';
import { createPipeline } from '#shared/pipeline/hub-request.ts';
import { proxyCallOf } from '#shared/proxy/forward.ts';
import { responses, storedResponse } from '#shared/responses/bridge.ts';
import { operationOf } from '#shared/routes.ts';
import { workDeadlineMs } from '#shared/time.ts';

const config = getConfig('responses');
const credentials = createCredentialStore(config);
// The IONOS clients belong to the pipeline: every call to IONOS is admitted, limited and recorded there.
const pipeline = createPipeline({ hub: createHubClient(config, credentials), studio: createStudioClient(config, credentials) });

export const handler = createHandler('responses', async (event, context, { signal }) => {
  const consumer = consumerOf(event);
  if (operationOf(event.resource) === 'response-item') {
    return storedResponse(event.httpMethod, event.pathParameters?.id ?? '', consumer);
  }
  const request = pipeline.begin({
    consumer,
    kind: 'proxied',
    route: event.resource,
    requestId: context.awsRequestId,
    mode: 'buffered',
    signal,
  });
  request.fields.path = event.resource;
  return request.run(async () => {
    const call = proxyCallOf(event, event.resource, config.proxyMaxRequestBytes);
    // The hosted web_search tool runs with the agent's search key and within the agent's tool-call bounds.
    const { tavilyApiKey } = await credentials.get();
    return responses(call, request, {
      config,
      deadlineMs: workDeadlineMs(context, config.proxyDeadlineMs),
      search:
        tavilyApiKey === undefined ? undefined : { tavilyApiKey, tavilyBaseUrl: config.tavilyBaseUrl, timeoutMs: config.upstreamTimeoutMs },
      searchLimits: { perCall: config.agent.maxToolCallsPerStep, perResponse: config.agent.maxToolCallsPerRun },
    });
  });
});
