/**
 * POST /: the ReAct agent. `x-model-id` picks the model (provider/name → Hub agent, UUID → Studio job);
 * `?stream=true` answers with server-sent events, otherwise with the final AI message as JSON. A
 * response-streaming handler in both modes, so long runs are not cut at API Gateway's 29 s.
 *
 * The same agent's threads and runs through the LangGraph API (`/threads`, `/runs`, …): every other route
 * of this function, answered by `shared/threads/api.ts`, with the same pipeline to IONOS.
 */
import { streamAgent } from '#shared/agent/stream.ts';
import { runAgent, type AgentDeps } from '#shared/agent/run.ts';
import { limitConversation, parseAgentRequest } from '#shared/agent/request.ts';
import { ToolLessModels } from '#shared/agent/tool-less.ts';
import { getConfig } from '#shared/config.ts';
import { createCredentialStore } from '#shared/credentials.ts';
import { BadRequestError } from '#shared/errors.ts';
import { getHeader, queryFlag, readJsonObject } from '#shared/http/event.ts';
import { consumerOf, createHandler } from '#shared/http/handler.ts';
import { jsonResponse } from '#shared/http/json-response.ts';
import { sseResponse } from '#shared/http/sse.ts';
import { createHubClient } from '#shared/ionos/hub-client.ts';
import { createStudioClient } from '#shared/ionos/studio-client.ts';
import { routeModel } from '#shared/models/route-model.ts';
import { modelCallEstimate, STUDIO_JOB } from '#shared/pipeline/estimate.ts';
import { createPipeline } from '#shared/pipeline/hub-request.ts';
import { FUNCTIONS, operationOf } from '#shared/routes.ts';
import { threadsApi } from '#shared/threads/api.ts';
import { DynamoCheckpointer } from '#shared/threads/checkpointer.ts';
import type { ThreadDeps } from '#shared/threads/thread-run.ts';
import { ThreadStore } from '#shared/threads/thread-store.ts';
import { workDeadlineMs } from '#shared/time.ts';
import { usageStore } from '#shared/usage/usage-parts.ts';

const config = getConfig('agent');
const credentials = createCredentialStore(config);
// The IONOS clients belong to the pipeline: every model call and Studio job is admitted, limited and recorded there.
const pipeline = createPipeline({ hub: createHubClient(config, credentials), studio: createStudioClient(config, credentials) });
const deps: AgentDeps = { config, credentials, toolLessModels: new ToolLessModels(config.agent.toolLessTtlMs) };
const table = usageStore();
const threadDeps: ThreadDeps = {
  ...deps,
  defaultModel: config.agent.defaultModel,
  threads:
    table === null
      ? null
      : {
          store: new ThreadStore(table, { ttlDays: config.agent.threadTtlDays, runSeconds: FUNCTIONS.agent.timeoutSeconds }),
          checkpointer: new DynamoCheckpointer(table, { ttlDays: config.agent.threadTtlDays }),
        },
};

export const handler = createHandler('agent', async (event, context, { signal, timeoutSignal }) => {
  const deadlineMs = workDeadlineMs(context, config.agent.deadlineMs);
  const operation = operationOf(event.resource);
  if (operation !== undefined) {
    const consumer = consumerOf(event);
    const upstream = (runSignal: AbortSignal) =>
      pipeline.begin({
        consumer,
        kind: 'agent run',
        route: event.resource,
        requestId: context.awsRequestId,
        mode: operation === 'run-stream' ? 'stream' : 'buffered',
        signal: runSignal,
        waitUntil: Date.now() + deadlineMs,
      });
    return threadsApi({ operation, event, consumer, upstream, signal, timeoutSignal, deadlineMs }, threadDeps);
  }
  const stream = queryFlag(event, 'stream');
  const upstream = pipeline.begin({
    consumer: consumerOf(event),
    kind: 'agent run',
    route: '/',
    requestId: context.awsRequestId,
    mode: stream ? 'stream' : 'buffered',
    signal,
    waitUntil: Date.now() + deadlineMs, // the agent waits for a contract slot within its run, rather than failing
  });
  // A request that fails before its answer is finished with the error's status (a no-op when the run finished it).
  return upstream.run(async () => {
    const modelId = getHeader(event, 'x-model-id');
    if (modelId === undefined || modelId.trim() === '') {
      throw new BadRequestError('Missing x-model-id header', { param: 'x-model-id', code: 'missing_model_id' });
    }
    const route = routeModel(modelId, 'x-model-id', config.studioModels);
    // Limits apply before a stream starts, so a client over them gets a real 400, not an error event.
    const messages = limitConversation(parseAgentRequest(readJsonObject(event, config.maxRequestBytes)), config.agent);
    // The first call is reserved before a stream starts, so a consumer over budget gets a real 429.
    const bytes = Buffer.byteLength(JSON.stringify(messages));
    await upstream.admitAhead(route.target === 'studio' ? STUDIO_JOB : modelCallEstimate(bytes, config.agent.maxTokens));
    const request = { route, messages, deadlineMs, signal, upstream };
    if (stream) return sseResponse(streamAgent(request, deps));
    return jsonResponse(200, await runAgent(request, deps));
  });
});
