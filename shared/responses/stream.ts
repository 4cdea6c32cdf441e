/**
 * Hub chat completion streams, relayed as the Responses API's server-sent events as they arrive:
 * `response.created`, `response.in_progress`, per output item `response.output_item.added`, then
 * - for reasoning: `response.reasoning.delta`/`.done` (the specification's names);
 * - for text: `response.content_part.added`, `response.output_text.delta`/`.done`, `response.content_part.done`;
 * - for a function call: `response.function_call_arguments.delta`/`.done`;
 * - for a custom tool call: `response.custom_tool_call_input.delta`/`.done` (its input is known once the call is);
 * - for a hosted web search: `response.web_search_call.in_progress`, `.searching`, `.completed`;
 * then `response.output_item.done`, and at the end `response.completed` (`response.incomplete` when the
 * model stopped on length). A response with hosted searches spans several model calls ("rounds"): one
 * translator carries the output indexes, the items and the usage across them. A stream that fails ends with
 * `response.failed` and an `error` event. Every event carries its `sequence_number`.
 */
import type { ChatMessage } from '#shared/responses/input.ts';
import type { ResponsesRequestEcho } from '#shared/responses/request.ts';
import {
  addUsage,
  messageItem,
  newId,
  reasoningItem,
  reasoningOf,
  responseObject,
  textPart,
  toolCallItem,
  toUsage,
  webSearchItem,
  type ChatUsage,
} from '#shared/responses/response-object.ts';
import { customInput, searchQuery, type TranslatedTools } from '#shared/responses/tools.ts';
import type { SearchResult } from '#shared/web-search.ts';

type Json = Record<string, unknown>;

type Item =
  | { kind: 'message'; id: string; index: number; text: string }
  | { kind: 'reasoning'; id: string; index: number; text: string }
  | { kind: 'call'; id: string; index: number; chatIndex: number; callId: string; name: string; args: string }
  | {
      kind: 'search';
      id: string;
      index: number;
      chatIndex: number;
      callId: string;
      args: string;
      status: SearchStatus;
      sources?: SearchResult[];
    };

type SearchStatus = 'in_progress' | 'searching' | 'completed' | 'failed';

/** One chat completion stream chunk, as far as the translator reads it. */
interface ChatChunk {
  model?: string;
  usage?: unknown;
  error?: { message?: string; code?: string | null; type?: string };
  choices?: {
    finish_reason?: string | null;
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
  }[];
}

/** A hosted search the model asked for in the round that ended. */
export interface PendingSearch {
  callId: string;
  query: string;
}

/** What one model call ("round") ended with. */
export interface RoundEnd {
  /** Hosted searches to run before the next round (none when the client has tool calls to answer). */
  searches: PendingSearch[];
  /** The round's assistant turn in the chat form, for the next round's messages. */
  assistant: ChatMessage;
}

/** Translates one response's stream: `start`, then per round `push` and `endRound`, then `end` (or `fail`). */
export class ResponsesStreamTranslator {
  readonly #id = newId('resp');
  readonly #createdAt = Math.floor(Date.now() / 1000);
  readonly #echo: ResponsesRequestEcho;
  readonly #tools: Pick<TranslatedTools, 'origins' | 'webSearch'>;
  #sequence = 0;
  #pending = '';
  #items: Item[] = [];
  #open: Item | undefined;
  /** The tool calls of the current round, by chat index. */
  #round = new Map<number, Extract<Item, { kind: 'call' | 'search' }>>();
  #roundText = '';
  #usage: ChatUsage | null = null;
  #finish: string | null = null;
  #model: string | undefined;
  #ended = false;

  constructor(
    echo: ResponsesRequestEcho,
    tools: Pick<TranslatedTools, 'origins' | 'webSearch'> = { origins: new Map(), webSearch: undefined },
  ) {
    this.#echo = echo;
    this.#tools = tools;
  }

  /** The stream failed or was ended. */
  get ended(): boolean {
    return this.#ended;
  }

  #event(type: string, fields: Json): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.#sequence++, ...fields })}\n\n`;
  }

  /** The response as it stands (final once the stream ended). */
  response(status: 'in_progress' | 'completed' | 'incomplete' | 'failed', error: Json | null = null): Json {
    const output = status === 'in_progress' ? [] : this.#items.map((item) => this.#finished(item));
    return responseObject(this.#id, this.#createdAt, this.#echo, {
      status,
      output,
      usage: toUsage(this.#usage),
      model: this.#model,
      error,
    });
  }

  #finished(item: Item) {
    const cut = this.#finish === 'length' ? 'incomplete' : 'completed';
    if (item.kind === 'message') return messageItem(item.id, item.text, cut);
    if (item.kind === 'reasoning') return reasoningItem(item.id, item.text);
    if (item.kind === 'search') return webSearchItem(item.id, searchQuery(item.args), item.status, item.sources);
    return toolCallItem(item.id, item.callId, this.#tools.origins.get(item.name), item.name, item.args);
  }

  /** The opening events. */
  start(): string {
    return (
      this.#event('response.created', { response: this.response('in_progress') }) +
      this.#event('response.in_progress', { response: this.response('in_progress') })
    );
  }

  /** Closes the open item, if any (a hosted search stays open until it has run). */
  #close(): string {
    const item = this.#open;
    if (item === undefined) return '';
    this.#open = undefined;
    const at = { item_id: item.id, output_index: item.index };
    const done = () => this.#event('response.output_item.done', { output_index: item.index, item: this.#finished(item) });
    if (item.kind === 'message') {
      return (
        this.#event('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] }) +
        this.#event('response.content_part.done', { ...at, content_index: 0, part: textPart(item.text) }) +
        done()
      );
    }
    if (item.kind === 'reasoning') return this.#event('response.reasoning.done', { ...at, content_index: 0, text: item.text }) + done();
    if (item.kind === 'search') return '';
    if (this.#tools.origins.get(item.name)?.kind === 'custom') {
      const input = customInput(item.args);
      return (
        this.#event('response.custom_tool_call_input.delta', { ...at, delta: input }) +
        this.#event('response.custom_tool_call_input.done', { ...at, input }) +
        done()
      );
    }
    const { name } = this.#finished(item) as { name: string };
    return this.#event('response.function_call_arguments.done', { ...at, name, arguments: item.args }) + done();
  }

  /** Opens a new item (closing the open one) and announces it. */
  #add<T extends Item>(item: T, announced: unknown): string {
    const out = this.#close();
    this.#items.push(item);
    this.#open = item;
    return out + this.#event('response.output_item.added', { output_index: item.index, item: announced });
  }

  #reasoning(delta: string): string {
    let out = '';
    if (this.#open?.kind !== 'reasoning') {
      const item = { kind: 'reasoning' as const, id: newId('rs'), index: this.#items.length, text: '' };
      out += this.#add(item, reasoningItem(item.id, '', 'in_progress'));
    }
    const item = this.#open as Extract<Item, { kind: 'reasoning' }>;
    item.text += delta;
    return out + this.#event('response.reasoning.delta', { item_id: item.id, output_index: item.index, content_index: 0, delta });
  }

  #text(delta: string): string {
    let out = '';
    this.#roundText += delta;
    if (this.#open?.kind !== 'message') {
      const item = { kind: 'message' as const, id: newId('msg'), index: this.#items.length, text: '' };
      out += this.#add(item, messageItem(item.id, '', 'in_progress'));
      out += this.#event('response.content_part.added', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        part: textPart(''),
      });
    }
    const item = this.#open as Extract<Item, { kind: 'message' }>;
    item.text += delta;
    return (
      out + this.#event('response.output_text.delta', { item_id: item.id, output_index: item.index, content_index: 0, delta, logprobs: [] })
    );
  }

  #call(part: { index?: number; id?: string; function?: { name?: string; arguments?: string } }): string {
    let out = '';
    const chatIndex = part.index ?? 0;
    let item = this.#round.get(chatIndex);
    if (item === undefined) {
      const name = part.function?.name ?? '';
      const base = { index: this.#items.length, chatIndex, callId: part.id ?? newId('fc'), args: '' };
      if (name !== '' && name === this.#tools.webSearch) {
        const search = { kind: 'search' as const, id: newId('ws'), ...base, status: 'in_progress' as SearchStatus };
        out += this.#add(search, webSearchItem(search.id, '', 'in_progress'));
        out += this.#event('response.web_search_call.in_progress', { item_id: search.id, output_index: search.index });
        item = search;
      } else {
        const custom = this.#tools.origins.get(name)?.kind === 'custom';
        const call = { kind: 'call' as const, id: newId(custom ? 'ctc' : 'fc'), ...base, name };
        out += this.#add(call, toolCallItem(call.id, call.callId, this.#tools.origins.get(name), name, '', 'in_progress'));
        item = call;
      }
      this.#round.set(chatIndex, item);
    }
    const delta = part.function?.arguments ?? '';
    if (delta === '') return out;
    item.args += delta;
    // Only a function call's arguments stream: a custom tool's input and a search query are known when complete.
    if (item.kind === 'call' && this.#tools.origins.get(item.name)?.kind !== 'custom')
      out += this.#event('response.function_call_arguments.delta', { item_id: item.id, output_index: item.index, delta });
    return out;
  }

  #chunk(chunk: ChatChunk): string {
    if (chunk.error !== undefined)
      return this.fail(chunk.error.message ?? 'The upstream stream failed.', chunk.error.code ?? 'upstream_error');
    if (typeof chunk.model === 'string') this.#model = chunk.model;
    if (chunk.usage != null) this.#usage = addUsage(this.#usage, chunk.usage);
    let out = '';
    for (const choice of chunk.choices ?? []) {
      const reasoning = reasoningOf(choice.delta);
      if (reasoning !== '') out += this.#reasoning(reasoning);
      if (typeof choice.delta?.content === 'string' && choice.delta.content !== '') out += this.#text(choice.delta.content);
      for (const part of choice.delta?.tool_calls ?? []) out += this.#call(part);
      if (choice.finish_reason) this.#finish = choice.finish_reason;
    }
    return out;
  }

  /**
   * Translates a whole (buffered) chat completion, as the one chunk it would be streamed as: a buffered
   * response is built by the same translator as a streamed one, so the two cannot differ.
   */
  completion(completion: unknown): string {
    const c = (completion ?? {}) as {
      model?: string;
      usage?: unknown;
      choices?: { finish_reason?: string | null; message?: Record<string, unknown> }[];
    };
    const choice = c.choices?.[0] ?? {};
    const { content, reasoning_content, reasoning, tool_calls } = (choice.message ?? {}) as NonNullable<
      NonNullable<ChatChunk['choices']>[number]['delta']
    > & {
      tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
    };
    const delta = {
      content,
      reasoning_content: reasoning_content ?? reasoning,
      tool_calls: tool_calls?.map((call, index) => ({ index, ...call })),
    };
    return this.#chunk({ model: c.model, usage: c.usage, choices: [{ delta, finish_reason: choice.finish_reason }] });
  }

  /** Translates the complete SSE events in `text` (a partial event waits for the rest). */
  push(text: string): string {
    if (this.#ended) return '';
    this.#pending += text;
    let out = '';
    for (let end = this.#pending.indexOf('\n\n'); end !== -1 && !this.#ended; end = this.#pending.indexOf('\n\n')) {
      const event = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(end + 2);
      const data = event
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data === '' || data === '[DONE]') continue;
      let chunk: ChatChunk;
      try {
        chunk = JSON.parse(data) as ChatChunk;
      } catch {
        return out + this.fail('The upstream stream sent an event that is not JSON.', 'bad_gateway');
      }
      out += this.#chunk(chunk);
    }
    return out;
  }

  /**
   * Ends the current model call. @returns the events that close its items, the hosted searches it asked
   * for (none when it also called the client's tools: those go back to the client first, and the searches
   * are dropped), and its assistant turn for the next call.
   */
  endRound(): { events: string; end: RoundEnd } {
    let events = this.#close();
    const calls = [...this.#round.values()].sort((a, b) => a.chatIndex - b.chatIndex);
    const chatName = (c: (typeof calls)[number]) => (c.kind === 'search' ? (this.#tools.webSearch ?? '') : c.name);
    const assistant: ChatMessage = {
      role: 'assistant',
      content: this.#roundText === '' ? null : this.#roundText,
      ...(calls.length === 0
        ? {}
        : { tool_calls: calls.map((c) => ({ id: c.callId, type: 'function', function: { name: chatName(c), arguments: c.args } })) }),
    };
    const clientCalls = calls.some((c) => c.kind === 'call');
    const searches = calls.filter((c) => c.kind === 'search');
    // Searches asked for beside the client's calls are not run (the client answers its calls first): failed.
    if (clientCalls) for (const s of searches) events += this.searched(s.callId, undefined);
    this.#round = new Map();
    this.#roundText = '';
    if (this.#finish !== 'length') this.#finish = null;
    return {
      events,
      end: { searches: clientCalls ? [] : searches.map((s) => ({ callId: s.callId, query: searchQuery(s.args) })), assistant },
    };
  }

  /** The search of `callId` is running. */
  searching(callId: string): string {
    const item = this.#search(callId);
    if (item === undefined) return '';
    item.status = 'searching';
    return this.#event('response.web_search_call.searching', { item_id: item.id, output_index: item.index });
  }

  /** The search of `callId` ended, with its results or failed. */
  searched(callId: string, results: SearchResult[] | undefined): string {
    const item = this.#search(callId);
    if (item === undefined) return '';
    item.status = results === undefined ? 'failed' : 'completed';
    if (results !== undefined && this.#echo.searchSources) item.sources = results;
    return (
      (results === undefined ? '' : this.#event('response.web_search_call.completed', { item_id: item.id, output_index: item.index })) +
      this.#event('response.output_item.done', { output_index: item.index, item: this.#finished(item) })
    );
  }

  #search(callId: string): Extract<Item, { kind: 'search' }> | undefined {
    return this.#items.find((i): i is Extract<Item, { kind: 'search' }> => i.kind === 'search' && i.callId === callId);
  }

  /** The closing events once the last model call is complete; `onComplete` gets the final response. */
  end(onComplete?: (response: Json) => void): string {
    if (this.#ended) return '';
    const closing = this.#close();
    this.#ended = true;
    const status = this.#finish === 'length' ? 'incomplete' : 'completed';
    const response = this.response(status);
    onComplete?.(response);
    return closing + this.#event(`response.${status}`, { response });
  }

  /** Ends the stream as failed (upstream error event, or a stream that broke off). */
  fail(message: string, code: string): string {
    if (this.#ended) return '';
    this.#ended = true;
    const error = { code, message };
    return (
      this.#event('response.failed', { response: this.response('failed', error) }) +
      // Both forms: OpenAI's SDKs read the top-level fields, the Open Responses specification the `error` object.
      this.#event('error', { code, message, param: null, error: { type: 'server_error', code, message, param: null } })
    );
  }
}
