/**
 * The ReAct agent as an explicit LangGraph state graph: an `agent` node calls the model (with tools
 * bound), a `tools` node runs the tool calls it asked for (in parallel; a failing tool becomes an error
 * result the model can read), and the loop ends when the model answers without tool calls.
 *
 * Models without tool support: when the Hub rejects a request with tools (400/422), the same request is
 * sent without tools; if that succeeds, the model is remembered as tool-less for the container's life.
 */
import { AIMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { END, MessagesValue, START, StateGraph, StateSchema } from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { findHttpError } from '#shared/agent/errors.ts';
import { UpstreamHttpError } from '#shared/errors.ts';

/** Everything one graph needs. */
export interface AgentGraphOptions {
  model: BaseChatModel;
  /** Identifies the model in the tool-less registry. */
  modelId: string;
  tools: StructuredToolInterface[];
  /** The system prompt, given whether tools are enabled for this call. */
  systemPrompt: (toolsEnabled: boolean) => string;
  /** Models known to refuse tools (shared across runs). */
  toolLessModels: Set<string>;
}

const AgentState = new StateSchema({ messages: MessagesValue });

/** True when the Hub refused the request itself (not the model's answer): the tools may be the reason. */
function rejectedRequest(err: unknown): boolean {
  const http = findHttpError(err);
  return http instanceof UpstreamHttpError && (http.upstreamStatus === 400 || http.upstreamStatus === 422);
}

/** Builds and compiles the agent graph. */
export function buildAgentGraph(options: AgentGraphOptions) {
  const { model, modelId, tools, toolLessModels } = options;
  const withTools = tools.length > 0 && model.bindTools !== undefined ? model.bindTools(tools) : undefined;

  async function callModel(state: typeof AgentState.State, config: RunnableConfig) {
    const history = (toolsEnabled: boolean): BaseMessage[] => [new SystemMessage(options.systemPrompt(toolsEnabled)), ...state.messages];
    if (withTools !== undefined && !toolLessModels.has(modelId)) {
      try {
        return { messages: [await withTools.invoke(history(true), config)] };
      } catch (err) {
        if (!rejectedRequest(err)) throw err;
        const answer = await model.invoke(history(false), config).catch(() => {
          throw err; // without tools it fails too: the tools were not the problem, report the first error
        });
        toolLessModels.add(modelId);
        return { messages: [answer] };
      }
    }
    return { messages: [await model.invoke(history(false), config)] };
  }

  const next = (state: typeof AgentState.State) => {
    const last = state.messages.at(-1);
    return last !== undefined && AIMessage.isInstance(last) && (last.tool_calls?.length ?? 0) > 0 ? 'tools' : END;
  };

  return new StateGraph(AgentState)
    .addNode('agent', callModel)
    .addNode('tools', new ToolNode(tools))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', next, ['tools', END])
    .addEdge('tools', 'agent')
    .compile();
}
