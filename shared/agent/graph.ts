/**
 * The ReAct agent as an explicit LangGraph state graph: an `agent` node calls the model (with tools
 * bound), a `tools` node runs the tool calls it asked for (in parallel; a failing tool becomes an error
 * result the model can read), and the loop ends when the model answers without tool calls.
 *
 * The graph is compiled once per container; each run brings its model, tools, prompt and limits in its
 * config (`agentRunConfig`), and counts against its limits there, never in the graph.
 *
 * Limits, so one request cannot run up the bill: at most `maxToolCallsPerStep` calls of one model reply are
 * run (the rest are answered as skipped, so the model can go on); a run that wants more than
 * `maxToolCallsPerRun` tool calls, or more than `maxModelCalls` model calls, ends in a `stop` node whose
 * final message says it stopped (a 200 for the client, not an error).
 *
 * Models without tool support: when the Hub rejects a request because of its tools (a 400/422 that names
 * tools), the same request is sent without tools; if that succeeds, the model is remembered as tool-less
 * for a while (see ToolLessModels). Other rejections (a context too long, say) are the client's answer.
 */
import { AIMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { END, MessagesValue, START, StateGraph, StateSchema } from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { findHttpError } from '#shared/agent/errors.ts';
import type { ConversationLimits } from '#shared/agent/request.ts';
import type { ToolLessModels } from '#shared/agent/tool-less.ts';
import { UpstreamHttpError } from '#shared/errors.ts';
import { textOf } from '#shared/message-text.ts';

/** How far one run may go. */
export interface RunLimits {
  maxToolCallsPerStep: number;
  maxToolCallsPerRun: number;
  /** Model calls of one run (derived from the recursion limit). */
  maxModelCalls: number;
}

/** Everything one graph needs. */
export interface AgentGraphOptions {
  model: BaseChatModel;
  /** Identifies the model in the tool-less registry. */
  modelId: string;
  tools: StructuredToolInterface[];
  /** The system prompt, given whether tools are enabled for this call; none for a model that takes none (Studio). */
  systemPrompt: (toolsEnabled: boolean) => string | undefined;
  /** Models known to refuse tools (shared across runs). */
  toolLessModels: ToolLessModels;
  limits: RunLimits;
  /**
   * What of the state the model is sent (thread runs, whose state grows turn by turn): the most recent
   * messages within these limits. The state itself keeps every message. Without it, all of them (`POST /`
   * limits its conversation before the run).
   */
  window?: ConversationLimits;
}

const AgentState = new StateSchema({ messages: MessagesValue });

/** `finish_reason` of the final message of a run that a limit stopped. */
export const STOPPED_BY_LIMIT = 'agent_limit';

/** Model calls a recursion limit allows: each tool round is two graph steps, and the stop node one more. */
export function modelCallsWithin(recursionLimit: number): number {
  return Math.max(1, Math.floor((recursionLimit - 1) / 2));
}

/** True when the Hub refused the request because of its tools (not its length, not the model's answer). */
function rejectedForTools(err: unknown): boolean {
  const http = findHttpError(err);
  return (
    http instanceof UpstreamHttpError &&
    (http.upstreamStatus === 400 || http.upstreamStatus === 422) &&
    /tool|function[ _-]?call/i.test(http.detail.message)
  );
}

/**
 * The most recent messages within the limits: counted from the newest back until `maxMessages` or
 * `maxChars` (of text) would be passed, never starting with tool results whose call was left out. The
 * newest message is always sent, so a turn is never empty.
 */
export function modelWindow(messages: readonly BaseMessage[], limits: ConversationLimits): BaseMessage[] {
  let start = messages.length;
  let chars = 0;
  while (start > 0 && messages.length - start < limits.maxMessages) {
    const size = textOf((messages[start - 1] as BaseMessage).content).length;
    if (chars + size > limits.maxChars && start < messages.length) break;
    chars += size;
    start--;
  }
  while (start < messages.length - 1 && ToolMessage.isInstance(messages[start])) start++;
  return messages.slice(start);
}

const lastToolCalls = (messages: BaseMessage[]) => {
  const last = messages.at(-1);
  return last !== undefined && AIMessage.isInstance(last) ? (last.tool_calls ?? []) : [];
};

/** What one run carries through the graph: its options, and its counts against the limits. */
interface RunContext extends AgentGraphOptions {
  withTools: ReturnType<NonNullable<BaseChatModel['bindTools']>> | undefined;
  toolNode: ToolNode;
  modelCalls: number;
  toolCalls: number;
}

const RUN_KEY = 'agentRun';

/**
 * The run config that carries one run through the graph (merge it into the config of `stream`/`invoke`).
 * The graph itself is compiled once per container (see {@link agentGraph}); everything that differs per run
 * (the model, the tools, the prompt, the limits and the counts against them) travels here.
 */
export function agentRunConfig(options: AgentGraphOptions): { configurable: Record<string, unknown> } {
  const { model, tools } = options;
  const run: RunContext = {
    ...options,
    withTools: tools.length > 0 && model.bindTools !== undefined ? model.bindTools(tools) : undefined,
    toolNode: new ToolNode(tools),
    modelCalls: 0,
    toolCalls: 0,
  };
  return { configurable: { [RUN_KEY]: run } };
}

function runOf(config: RunnableConfig | undefined): RunContext {
  const run = config?.configurable?.[RUN_KEY] as RunContext | undefined;
  if (run === undefined) throw new Error('agent graph invoked without agentRunConfig()');
  return run;
}

async function callModel(state: typeof AgentState.State, config: RunnableConfig) {
  const run = runOf(config);
  const { model, modelId, withTools, toolLessModels } = run;
  run.modelCalls++;
  const messages = run.window === undefined ? state.messages : modelWindow(state.messages, run.window);
  const history = (toolsEnabled: boolean): BaseMessage[] => {
    const prompt = run.systemPrompt(toolsEnabled);
    return prompt === undefined ? messages : [new SystemMessage(prompt), ...messages];
  };
  if (withTools !== undefined && !toolLessModels.has(modelId)) {
    try {
      return { messages: [await withTools.invoke(history(true), config)] };
    } catch (err) {
      if (!rejectedForTools(err)) throw err;
      const answer = await model.invoke(history(false), config).catch(() => {
        throw err; // without tools it fails too: the tools were not the problem, report the first error
      });
      toolLessModels.add(modelId);
      return { messages: [answer] };
    }
  }
  return { messages: [await model.invoke(history(false), config)] };
}

async function runTools(state: typeof AgentState.State, config: RunnableConfig) {
  const run = runOf(config);
  const { limits } = run;
  const calls = lastToolCalls(state.messages);
  const allowed = Math.min(limits.maxToolCallsPerStep, limits.maxToolCallsPerRun - run.toolCalls);
  const chosen = calls.slice(0, allowed);
  run.toolCalls += chosen.length;
  const last = state.messages.at(-1) as AIMessage;
  const results =
    chosen.length === 0
      ? []
      : (
          (await run.toolNode.invoke(
            { messages: [new AIMessage({ content: last.content, id: last.id, tool_calls: chosen })] },
            config,
          )) as {
            messages: BaseMessage[];
          }
        ).messages;
  const skipped = calls.slice(allowed).map(
    (call) =>
      new ToolMessage({
        tool_call_id: call.id ?? '',
        name: call.name,
        status: 'error',
        content: `Not run: at most ${limits.maxToolCallsPerStep} tool calls are run per step. Ask for the most important ones first.`,
      }),
  );
  return { messages: [...results, ...skipped] };
}

function stop(_state: typeof AgentState.State, config: RunnableConfig) {
  const { limits, toolCalls } = runOf(config);
  const reason =
    toolCalls >= limits.maxToolCallsPerRun
      ? `the limit of ${limits.maxToolCallsPerRun} tool calls (web searches and other tools) per request`
      : `the limit of ${limits.maxModelCalls} model calls per request`;
  const content = `I stopped before finishing: this request reached ${reason}. Ask a narrower question, or split it into several.`;
  return { messages: [new AIMessage({ content, response_metadata: { finish_reason: STOPPED_BY_LIMIT } })] };
}

function next(state: typeof AgentState.State, config: RunnableConfig) {
  if (lastToolCalls(state.messages).length === 0) return END;
  const { limits, toolCalls, modelCalls } = runOf(config);
  return toolCalls >= limits.maxToolCallsPerRun || modelCalls >= limits.maxModelCalls ? 'stop' : 'tools';
}

const compile = (checkpointer?: BaseCheckpointSaver) =>
  new StateGraph(AgentState)
    .addNode('agent', callModel)
    .addNode('tools', runTools)
    .addNode('stop', stop)
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', next, ['tools', 'stop', END])
    .addEdge('tools', 'agent')
    .addEdge('stop', END)
    .compile({ checkpointer });

/** A compiled agent graph. */
export type AgentGraph = ReturnType<typeof compile>;

let compiled: AgentGraph | undefined;
const withSaver = new WeakMap<BaseCheckpointSaver, AgentGraph>();

/**
 * The agent graph, compiled on first use and shared by every run of the container; with a checkpointer
 * (thread runs), the graph that saves each step's state there, compiled once per checkpointer.
 */
export function agentGraph(checkpointer?: BaseCheckpointSaver): AgentGraph {
  if (checkpointer === undefined) return (compiled ??= compile());
  let graph = withSaver.get(checkpointer);
  if (graph === undefined) withSaver.set(checkpointer, (graph = compile(checkpointer)));
  return graph;
}
