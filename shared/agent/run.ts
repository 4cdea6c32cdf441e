/**
 * One agent run, buffered or streamed: routes to the Hub graph or a Studio job, bounds the run with one
 * deadline (an AbortSignal handed to the graph, the model calls, the tools and Studio polling), and maps
 * failures to our HTTP errors. Streaming callers pass `onEvent` to receive protocol events as they happen.
 *
 * Every run, streamed or not, ends with one log line and its metrics (requests and tokens as the proxy's,
 * `FailedRuns` by error type): a streamed run that fails has already answered 200, so without this the
 * failure would be invisible to API Gateway's metrics and the 5xx alarm.
 */
import { AIMessage, AIMessageChunk, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { randomUUID } from 'node:crypto';
import { toAgentError, findHttpError } from '#shared/agent/errors.ts';
import { buildAgentGraph, modelCallsWithin } from '#shared/agent/graph.ts';
import { toFlatAIMessage, toLangChainMessages, type FlatAIMessage } from '#shared/agent/messages.ts';
import { createHubChatModel, type HubModelOptions } from '#shared/agent/model.ts';
import { systemPrompt } from '#shared/agent/prompt.ts';
import type { FlatMessage } from '#shared/agent/request.ts';
import { studioAnswer, toStudioMessages } from '#shared/agent/studio.ts';
import type { ToolLessModels } from '#shared/agent/tool-less.ts';
import { createTools } from '#shared/agent/tools.ts';
import type { RuntimeConfig } from '#shared/config.ts';
import type { Credentials, CredentialStore } from '#shared/credentials.ts';
import type { HubClient } from '#shared/ionos/hub-client.ts';
import { BadGatewayError, toErrorBody, toStatus } from '#shared/errors.ts';
import { recordFailure, recordRequestMetrics } from '#shared/metrics.ts';
import { recordUsage } from '#shared/usage/usage.ts';
import { textOf } from '#shared/message-text.ts';
import { logger } from '#shared/observability.ts';
import type { StudioClient } from '#shared/ionos/studio-client.ts';
import type { ModelRoute } from '#shared/models/route-model.ts';

/** Events of the streaming protocol; `tool` is an addition that clients reading status/content/error ignore. */
export type AgentEvent = { content: string } | { tool: { name: string; status: 'started' | 'finished' | 'failed' } };

/** What runs need, created once per container. */
export interface AgentDeps {
  config: RuntimeConfig;
  credentials: CredentialStore;
  /** The one Hub client; the model's calls go through it. */
  hub: HubClient;
  studio: StudioClient;
  /** Models that refused tools, remembered for a while. */
  toolLessModels: ToolLessModels;
  /** The chat model factory; tests pass a scripted fake. */
  createModel?: (options: HubModelOptions) => BaseChatModel;
  now?: () => Date;
}

/** One run's input. */
export interface AgentRequest {
  route: ModelRoute;
  /** The conversation, already within the limits (see `limitConversation`). */
  messages: FlatMessage[];
  deadlineMs: number;
  /** Cancels the run (client gone, or the function is about to time out). */
  signal?: AbortSignal;
  onEvent?: (event: AgentEvent) => void;
  /** Who called (see `consumerOf`): named in the run's log line, which a stream writes after the handler returned. */
  consumer?: string;
}

/** Runs the agent to its final answer. @throws our HTTP errors only. */
export async function runAgent(request: AgentRequest, deps: AgentDeps): Promise<FlatAIMessage> {
  const started = performance.now();
  const mode = request.onEvent ? 'stream' : 'buffered';
  const { modelId } = request.route;
  try {
    const answer = await run(request, deps);
    const usage = answer.usage_metadata;
    if (request.consumer !== undefined) {
      recordUsage({
        consumer: request.consumer,
        model: modelId,
        promptTokens: usage?.input_tokens,
        completionTokens: usage?.output_tokens,
        studioJobs: request.route.target === 'studio' ? 1 : 0,
      });
    }
    recordRequestMetrics({
      route: '/',
      model: modelId,
      status: 200,
      usage: usage === null ? undefined : { promptTokens: usage.input_tokens, completionTokens: usage.output_tokens },
    });
    logger.info('agent run', {
      consumer: request.consumer,
      model: modelId,
      mode,
      status: 200,
      latencyMs: Math.round(performance.now() - started),
      finishReason: answer.response_metadata.finish_reason,
      totalTokens: usage?.total_tokens,
    });
    return answer;
  } catch (err) {
    const status = toStatus(err);
    const { type, code } = toErrorBody(err).error;
    recordRequestMetrics({ route: '/', model: 'unverified', status });
    recordFailure({ errorType: type, status, mode });
    if (request.consumer !== undefined) recordUsage({ consumer: request.consumer, model: 'unverified', failed: true });
    const fields = {
      consumer: request.consumer,
      model: modelId,
      mode,
      status,
      errorType: type,
      code,
      latencyMs: Math.round(performance.now() - started),
    };
    if (status >= 500) logger.error('agent run failed', { ...fields, error: err as Error });
    else logger.info('agent run failed', fields);
    throw err;
  }
}

async function run(request: AgentRequest, deps: AgentDeps): Promise<FlatAIMessage> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), request.deadlineMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
  const { messages } = request;
  const runId = randomUUID();
  try {
    if (request.route.target === 'studio') {
      const { modelId } = request.route;
      const { jobId, text } = await deps.studio.generate({
        modelId,
        messages: toStudioMessages(messages),
        temperature: deps.config.agent.temperature,
        maxTokens: deps.config.agent.maxTokens,
        deadlineMs: request.deadlineMs,
        signal,
        waitForContract: true,
      });
      request.onEvent?.({ content: text });
      return studioAnswer(text, jobId, modelId, runId);
    }
    // The run reads the credentials once for its tools; the token and its 401 refetch belong to each model
    // call (the Hub client), so a token refused mid-run retries that call, not the tools before it.
    const credentials = await deps.credentials.get();
    return await runHub(
      request.route.modelId,
      messages,
      credentials,
      { signal, runId, deadline: Date.now() + request.deadlineMs, onEvent: request.onEvent },
      deps,
    );
  } catch (err) {
    throw toAgentError(err, { deadline: deadline.signal, deadlineMs: request.deadlineMs });
  } finally {
    clearTimeout(timer);
  }
}

interface HubRun {
  signal: AbortSignal;
  runId: string;
  deadline: number;
  onEvent?: (event: AgentEvent) => void;
}

async function runHub(
  modelId: string,
  messages: FlatMessage[],
  credentials: Credentials,
  run: HubRun,
  deps: AgentDeps,
): Promise<FlatAIMessage> {
  const { config } = deps;
  const now = deps.now ?? (() => new Date());
  const model = (deps.createModel ?? createHubChatModel)({ modelId, hub: deps.hub, deadline: run.deadline, config });
  const { maxToolCallsPerStep, maxToolCallsPerRun, recursionLimit } = config.agent;
  const graph = buildAgentGraph({
    model,
    modelId,
    toolLessModels: deps.toolLessModels,
    limits: { maxToolCallsPerStep, maxToolCallsPerRun, maxModelCalls: modelCallsWithin(recursionLimit) },
    tools: createTools({
      tavilyApiKey: credentials.tavilyApiKey,
      tavilyBaseUrl: config.tavilyBaseUrl,
      timeoutMs: config.upstreamTimeoutMs,
      now,
    }),
    systemPrompt: (toolsEnabled) => systemPrompt({ toolsEnabled, searchAvailable: credentials.tavilyApiKey !== undefined, now: now() }),
  });
  const produced: BaseMessage[] = [];
  try {
    const stream = await graph.stream(
      { messages: toLangChainMessages(messages) },
      { signal: run.signal, recursionLimit: config.agent.recursionLimit, streamMode: run.onEvent ? ['messages', 'updates'] : ['updates'] },
    );
    for await (const [mode, data] of stream as AsyncIterable<[string, unknown]>) {
      if (mode === 'messages') {
        const [chunk, meta] = data as [BaseMessage, { langgraph_node?: string }];
        const text = AIMessageChunk.isInstance(chunk) && meta.langgraph_node === 'agent' ? textOf(chunk.content) : '';
        if (text !== '') run.onEvent?.({ content: text });
        continue;
      }
      for (const [node, update] of Object.entries(data as Record<string, { messages?: BaseMessage[] }>)) {
        for (const message of update?.messages ?? []) {
          produced.push(message);
          // The stop node's message is ours, not streamed by a model: send it as content.
          if (node === 'stop') run.onEvent?.({ content: textOf(message.content) });
          if (AIMessage.isInstance(message))
            for (const call of message.tool_calls ?? []) run.onEvent?.({ tool: { name: call.name, status: 'started' } });
          if (ToolMessage.isInstance(message))
            run.onEvent?.({ tool: { name: message.name ?? 'tool', status: message.status === 'error' ? 'failed' : 'finished' } });
        }
      }
    }
  } catch (err) {
    throw findHttpError(err) ?? err;
  }
  const final = produced.filter(AIMessage.isInstance).at(-1);
  if (final === undefined) throw new BadGatewayError('The agent finished without an answer from the model.');
  return toFlatAIMessage(final, produced, run.runId, modelId);
}
