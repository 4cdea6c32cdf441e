/**
 * POST /: the ReAct agent. `x-model-id` picks the model (provider/name → Hub agent, UUID → Studio job);
 * `?stream=true` answers with server-sent events, otherwise with the final AI message as JSON. A
 * response-streaming handler in both modes, so long runs are not cut at API Gateway's 29 s.
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
import { jsonResponse } from '#shared/http/response.ts';
import { sseResponse } from '#shared/http/sse.ts';
import { createHubClient } from '#shared/ionos/hub-client.ts';
import { createStudioClient } from '#shared/ionos/studio-client.ts';
import { routeModel } from '#shared/models/route-model.ts';
import { workDeadlineMs } from '#shared/time.ts';
import { contractSlot, enforceBudgets } from '#shared/usage/usage.ts';

const config = getConfig();
const credentials = createCredentialStore(config);
const contract = contractSlot();
const deps: AgentDeps = {
  config,
  credentials,
  hub: createHubClient(config, credentials, contract),
  studio: createStudioClient(config, credentials, undefined, contract),
  toolLessModels: new ToolLessModels(config.agent.toolLessTtlMs),
};

export const handler = createHandler('agent', async (event, context, { signal }) => {
  const modelId = getHeader(event, 'x-model-id');
  if (modelId === undefined || modelId.trim() === '') {
    throw new BadRequestError('Missing x-model-id header', { param: 'x-model-id', code: 'missing_model_id' });
  }
  const route = routeModel(modelId, 'x-model-id', config.studioModels);
  // Limits apply before a stream starts, so a client over them gets a real 400, not an error event.
  const messages = limitConversation(parseAgentRequest(readJsonObject(event, config.maxRequestBytes)), config.agent);
  const deadlineMs = workDeadlineMs(context, config.agent.deadlineMs);
  const request = { route, messages, deadlineMs, signal, consumer: consumerOf(event) };
  await enforceBudgets(request.consumer); // before a stream starts: a consumer over budget gets a real 429
  if (queryFlag(event, 'stream')) return sseResponse(streamAgent(request, deps));
  return jsonResponse(200, await runAgent(request, deps));
});
