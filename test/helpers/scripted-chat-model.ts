/**
 * A scripted fake chat model for agent tests (as LangGraph.js's own tests do): each call takes the next
 * step of the script, an answer, tool calls, an error to throw, or a function of the messages. It streams
 * content word by word through the callback manager, so LangGraph's `messages` stream mode sees tokens.
 */
import { BaseChatModel, type BaseChatModelParams } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import type { StructuredToolInterface } from '@langchain/core/tools';

/** One scripted step. */
export type ScriptStep =
  | { content: string; usage?: { input: number; output: number } }
  | { toolCalls: { name: string; args: Record<string, unknown>; id?: string }[]; usage?: { input: number; output: number } }
  | { error: Error }
  | ((messages: BaseMessage[], toolsBound: boolean) => ScriptStep);

/** What one call saw. */
export interface RecordedCall {
  messages: BaseMessage[];
  toolNames: string[];
}

interface Shared {
  script: ScriptStep[];
  calls: RecordedCall[];
  /** Wait before answering (ms), to test aborts. */
  delayMs: number;
  /** Calls cut short by their abort signal. */
  aborted: number;
}

let ids = 0;

/** The fake model. `bindTools` returns a copy sharing the script and call log. */
export class ScriptedChatModel extends BaseChatModel {
  readonly shared: Shared;
  readonly boundTools: StructuredToolInterface[];

  constructor(script: ScriptStep[] | Shared, boundTools: StructuredToolInterface[] = [], params: BaseChatModelParams = {}) {
    super(params);
    this.shared = Array.isArray(script) ? { script, calls: [], delayMs: 0, aborted: 0 } : script;
    this.boundTools = boundTools;
  }

  get calls(): RecordedCall[] {
    return this.shared.calls;
  }

  _llmType(): string {
    return 'scripted';
  }

  override bindTools(tools: StructuredToolInterface[]) {
    return new ScriptedChatModel(this.shared, tools) as never;
  }

  #next(messages: BaseMessage[]): AIMessage {
    this.shared.calls.push({ messages, toolNames: this.boundTools.map((t) => t.name) });
    let step = this.shared.script.shift();
    if (step === undefined) throw new Error('script exhausted');
    while (typeof step === 'function') step = step(messages, this.boundTools.length > 0);
    if ('error' in step) throw step.error;
    const usage = step.usage ?? { input: 10, output: 5 };
    const usage_metadata = { input_tokens: usage.input, output_tokens: usage.output, total_tokens: usage.input + usage.output };
    const id = `fake-${++ids}`;
    const response_metadata = { model_name: 'scripted', finish_reason: 'toolCalls' in step ? 'tool_calls' : 'stop', id };
    if ('toolCalls' in step) {
      const tool_calls = step.toolCalls.map((c, i) => ({ ...c, id: c.id ?? `call_${ids}_${i}`, type: 'tool_call' as const }));
      return new AIMessage({ content: '', tool_calls, usage_metadata, response_metadata, id });
    }
    return new AIMessage({ content: step.content, usage_metadata, response_metadata, id });
  }

  async #wait(options: this['ParsedCallOptions']): Promise<void> {
    if (this.shared.delayMs === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, this.shared.delayMs);
      options.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          this.shared.aborted += 1;
          reject(new Error('AbortError: aborted'));
        },
        { once: true },
      );
    });
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    await this.#wait(options);
    const message = this.#next(messages);
    return { generations: [{ text: typeof message.content === 'string' ? message.content : '', message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    await this.#wait(options);
    const message = this.#next(messages);
    const text = typeof message.content === 'string' ? message.content : '';
    for (const piece of text.match(/\S+\s*/g) ?? []) {
      const chunk = new ChatGenerationChunk({ text: piece, message: new AIMessageChunk({ content: piece, id: message.id }) });
      yield chunk;
      await runManager?.handleLLMNewToken(piece, undefined, undefined, undefined, undefined, { chunk });
    }
    yield new ChatGenerationChunk({
      text: '',
      message: new AIMessageChunk({
        content: '',
        id: message.id,
        usage_metadata: message.usage_metadata,
        response_metadata: message.response_metadata,
        tool_call_chunks: message.tool_calls?.map((c, index) => ({
          name: c.name,
          args: JSON.stringify(c.args),
          id: c.id,
          index,
          type: 'tool_call_chunk' as const,
        })),
      }),
    });
  }
}
