/**
 * The ReAct agent as an explicit LangGraph state graph: an `agent` node calls the model (with tools
 * bound), a `tools` node runs the tool calls it asked for (in parallel; a failing tool becomes an error
 * result the model can read), and the loop ends when the model answers without tool calls.
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
import { END, MessagesValue, START, StateGraph, StateSchema } from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { findHttpError } from '#shared/agent/errors.ts';
import type { ToolLessModels } from '#shared/agent/tool-less.ts';
import { UpstreamHttpError } from '#shared/errors.ts';

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
  /** The system prompt, given whether tools are enabled for this call. */
  systemPrompt: (toolsEnabled: boolean) => string;
  /** Models known to refuse tools (shared across runs). */
  toolLessModels: ToolLessModels;
  limits: RunLimits;
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

const lastToolCalls = (messages: BaseMessage[]) => {
  const last = messages.at(-1);
  return last !== undefined && AIMessage.isInstance(last) ? (last.tool_calls ?? []) : [];
};

/** Builds and compiles the agent graph for one run (the limits count per graph). */
export function buildAgentGraph(options: AgentGraphOptions) {
  const { model, modelId, tools, toolLessModels, limits } = options;
  const withTools = tools.length > 0 && model.bindTools !== undefined ? model.bindTools(tools) : undefined;
  const toolNode = new ToolNode(tools);
  let modelCalls = 0;
  let toolCalls = 0;

  async function callModel(state: typeof AgentState.State, config: RunnableConfig) {
    modelCalls++;
    const history = (toolsEnabled: boolean): BaseMessage[] => [new SystemMessage(options.systemPrompt(toolsEnabled)), ...state.messages];
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
    const calls = lastToolCalls(state.messages);
    const allowed = Math.min(limits.maxToolCallsPerStep, limits.maxToolCallsPerRun - toolCalls);
    const run = calls.slice(0, allowed);
    toolCalls += run.length;
    const last = state.messages.at(-1) as AIMessage;
    const results =
      run.length === 0
        ? []
        : (
            (await toolNode.invoke({ messages: [new AIMessage({ content: last.content, id: last.id, tool_calls: run })] }, config)) as {
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

  function stop() {
    const reason =
      toolCalls >= limits.maxToolCallsPerRun
        ? `the limit of ${limits.maxToolCallsPerRun} tool calls (web searches and other tools) per request`
        : `the limit of ${limits.maxModelCalls} model calls per request`;
    const content = `I stopped before finishing: this request reached ${reason}. Ask a narrower question, or split it into several.`;
    return { messages: [new AIMessage({ content, response_metadata: { finish_reason: STOPPED_BY_LIMIT } })] };
  }

  const next = (state: typeof AgentState.State) => {
    if (lastToolCalls(state.messages).length === 0) return END;
    return toolCalls >= limits.maxToolCallsPerRun || modelCalls >= limits.maxModelCalls ? 'stop' : 'tools';
  };

  return new StateGraph(AgentState)
    .addNode('agent', callModel)
    .addNode('tools', runTools)
    .addNode('stop', stop)
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', next, ['tools', 'stop', END])
    .addEdge('tools', 'agent')
    .addEdge('stop', END)
    .compile();
}
