/**
 * One agent run, buffered or streamed: routes to the Hub graph or a Studio job, bounds the run with one
 * deadline (an AbortSignal handed to the graph, the model calls, the tools and Studio polling), and maps
 * failures to our HTTP errors. Streaming callers pass `onEvent` to receive protocol events as they happen.
 *
 * Every model call and Studio job goes through the run's HubRequest (the one pipeline: budgets, contract,
 * meter, ledger), and every run, streamed or not, finishes it with one log line and its metrics: a streamed
 * run that fails has already answered 200, so without this the failure would be invisible to API Gateway's
 * metrics and the 5xx alarm.
 */
import { AIMessage, AIMessageChunk, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { randomUUID } from 'node:crypto';
import { toAgentError, findHttpError } from '#shared/agent/errors.ts';
import { agentGraph, agentRunConfig, modelCallsWithin } from '#shared/agent/graph.ts';
import { toFlatAIMessage, toLangChainMessages, type FlatAIMessage } from '#shared/agent/messages.ts';
import { createHubChatModel, type HubModelOptions } from '#shared/agent/model.ts';
import { systemPrompt } from '#shared/agent/prompt.ts';
import type { ConversationLimits, FlatMessage } from '#shared/agent/request.ts';
import { studioAnswer, StudioChatModel, toStudioMessages } from '#shared/agent/studio.ts';
import type { ToolLessModels } from '#shared/agent/tool-less.ts';
import { createTools } from '#shared/agent/tools.ts';
import type { RuntimeConfig } from '#shared/config.ts';
import type { CredentialStore } from '#shared/credentials.ts';
import { BadGatewayError, toStatus } from '#shared/errors.ts';
import { textOf } from '#shared/message-text.ts';
import type { ModelRoute } from '#shared/models/route-model.ts';
import type { HubRequest } from '#shared/pipeline/hub-request.ts';

/** Events of the streaming protocol; `tool` is an addition that clients reading status/content/error ignore. */
export type AgentEvent = { content: string } | { tool: { name: string; status: 'started' | 'finished' | 'failed' } };

/** What runs need, created once per container (the IONOS clients are the pipeline's). */
export interface AgentDeps {
  config: RuntimeConfig;
  credentials: CredentialStore;
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
  /** The request's pipeline to IONOS, begun by the handler with the consumer; the run finishes it. */
  upstream: HubRequest;
}

/** Runs the agent to its final answer. @throws our HTTP errors only. */
export async function runAgent(request: AgentRequest, deps: AgentDeps): Promise<FlatAIMessage> {
  const { upstream } = request;
  upstream.model = request.route.modelId;
  try {
    const answer = await run(request, deps);
    upstream.fields.finishReason = answer.response_metadata.finish_reason;
    upstream.fields.totalTokens = answer.usage_metadata?.total_tokens;
    upstream.finish(200, 'complete');
    return answer;
  } catch (err) {
    const status = toStatus(err);
    upstream.finish(status, status === 499 ? 'aborted' : 'error', err);
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
      const { jobId, text } = await request.upstream.studioJob({
        modelId,
        messages: toStudioMessages(messages),
        temperature: deps.config.agent.temperature,
        maxTokens: deps.config.agent.maxTokens,
        deadlineMs: request.deadlineMs,
        signal,
      });
      request.onEvent?.({ content: text });
      return studioAnswer(text, jobId, modelId, runId);
    }
    return await runHub(
      request.route.modelId,
      messages,
      { signal, runId, deadline: Date.now() + request.deadlineMs, onEvent: request.onEvent, upstream: request.upstream },
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
  upstream: HubRequest;
}

/** What a run's config is built from. */
export interface RunSetup {
  route: ModelRoute;
  upstream: HubRequest;
  /** Epoch ms by which the run must end. */
  deadline: number;
  /** The thread's window on its state (see `AgentGraphOptions.window`); `POST /` has none. */
  window?: ConversationLimits;
}

/**
 * The graph config of one run (see `agentRunConfig`): a Hub model with the agent's tools and prompt, every
 * model call a metered Hub call of the run's pipeline, retried within the deadline; or a Studio model (one
 * job per call, no tools). Reads the credentials once for the tools; the token and its 401 refetch belong
 * to each model call (the Hub client), so a token refused mid-run retries that call, not the tools before it.
 */
export async function modelRunConfig(setup: RunSetup, deps: AgentDeps): Promise<{ configurable: Record<string, unknown> }> {
  const { config } = deps;
  const { route, upstream, deadline, window } = setup;
  const { maxToolCallsPerStep, maxToolCallsPerRun, recursionLimit } = config.agent;
  const limits = { maxToolCallsPerStep, maxToolCallsPerRun, maxModelCalls: modelCallsWithin(recursionLimit) };
  const { modelId } = route;
  if (route.target === 'studio') {
    const { temperature, maxTokens } = config.agent;
    const model = new StudioChatModel({ modelId, upstream, temperature, maxTokens, deadline });
    return agentRunConfig({
      model,
      modelId,
      toolLessModels: deps.toolLessModels,
      limits,
      tools: [],
      systemPrompt: () => undefined,
      window,
    });
  }
  const credentials = await deps.credentials.get();
  const now = deps.now ?? (() => new Date());
  const fetch = upstream.modelFetch({
    hubBaseUrl: config.hubBaseUrl,
    maxTokens: config.agent.maxTokens,
    retry: { attempts: 4, deadline, maxDelayMs: 30_000 },
  });
  const model = (deps.createModel ?? createHubChatModel)({ modelId, fetch, config });
  return agentRunConfig({
    model,
    modelId,
    toolLessModels: deps.toolLessModels,
    limits,
    window,
    tools: createTools({
      tavilyApiKey: credentials.tavilyApiKey,
      tavilyBaseUrl: config.tavilyBaseUrl,
      timeoutMs: config.upstreamTimeoutMs,
      now,
    }),
    systemPrompt: (toolsEnabled) => systemPrompt({ toolsEnabled, searchAvailable: credentials.tavilyApiKey !== undefined, now: now() }),
  });
}

async function runHub(modelId: string, messages: FlatMessage[], run: HubRun, deps: AgentDeps): Promise<FlatAIMessage> {
  const { config } = deps;
  const runConfig = await modelRunConfig({ route: { target: 'hub', modelId }, upstream: run.upstream, deadline: run.deadline }, deps);
  const produced: BaseMessage[] = [];
  try {
    const stream = await agentGraph().stream(
      { messages: toLangChainMessages(messages) },
      {
        ...runConfig,
        signal: run.signal,
        recursionLimit: config.agent.recursionLimit,
        streamMode: run.onEvent ? ['messages', 'updates'] : ['updates'],
      },
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
