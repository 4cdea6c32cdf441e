/**
 * A Hub chat completion stream, relayed as the Responses API's server-sent events as it arrives:
 * `response.created`, `response.in_progress`, per output item `response.output_item.added`, (for text)
 * `response.content_part.added`, `response.output_text.delta`/`.done`, `response.content_part.done`, (for a
 * function call) `response.function_call_arguments.delta`/`.done`, then `response.output_item.done`, and
 * `response.completed` (`response.incomplete` when the model stopped on length). A stream that fails ends
 * with `response.failed` and an `error` event. Every event carries its `sequence_number`.
 */
import { Transform, type Readable } from 'node:stream';
import type { ResponsesRequestEcho } from '#shared/responses/request.ts';
import { functionCallItem, messageItem, newId, responseObject, textPart, toUsage } from '#shared/responses/response.ts';

type Json = Record<string, unknown>;

type Item =
  | { kind: 'message'; id: string; index: number; text: string }
  | { kind: 'call'; id: string; index: number; chatIndex: number; callId: string; name: string; args: string };

interface ChatChunk {
  model?: string;
  usage?: unknown;
  error?: { message?: string; code?: string | null; type?: string };
  choices?: {
    finish_reason?: string | null;
    delta?: { content?: string | null; tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] };
  }[];
}

/** Translates one stream; `start`, then `push` for each piece of upstream text, then `end`. */
export class ResponsesStreamTranslator {
  readonly #id = newId('resp');
  readonly #createdAt = Math.floor(Date.now() / 1000);
  readonly #echo: ResponsesRequestEcho;
  #sequence = 0;
  #pending = '';
  #items: Item[] = [];
  #open: Item | undefined;
  #usage: Json | null = null;
  #finish: string | null = null;
  #model: string | undefined;
  #ended = false;

  readonly #onComplete: ((response: Json) => void) | undefined;

  /** `onComplete` gets the final response of a stream that completed (or stopped on length), not of one that failed. */
  constructor(echo: ResponsesRequestEcho, onComplete?: (response: Json) => void) {
    this.#echo = echo;
    this.#onComplete = onComplete;
  }

  #event(type: string, fields: Json): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.#sequence++, ...fields })}\n\n`;
  }

  #response(status: 'in_progress' | 'completed' | 'incomplete' | 'failed', error: Json | null = null): Json {
    const output = status === 'in_progress' ? [] : this.#items.map((item) => this.#finished(item));
    return responseObject(this.#id, this.#createdAt, this.#echo, { status, output, usage: this.#usage, model: this.#model, error });
  }

  #finished(item: Item) {
    const cut = this.#finish === 'length' ? 'incomplete' : 'completed';
    return item.kind === 'message' ? messageItem(item.id, item.text, cut) : functionCallItem(item.id, item.callId, item.name, item.args);
  }

  /** The opening events. */
  start(): string {
    return (
      this.#event('response.created', { response: this.#response('in_progress') }) +
      this.#event('response.in_progress', { response: this.#response('in_progress') })
    );
  }

  /** Closes the open item, if any. */
  #close(): string {
    const item = this.#open;
    if (item === undefined) return '';
    this.#open = undefined;
    const at = { item_id: item.id, output_index: item.index };
    if (item.kind === 'message') {
      return (
        this.#event('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] }) +
        this.#event('response.content_part.done', { ...at, content_index: 0, part: textPart(item.text) }) +
        this.#event('response.output_item.done', { output_index: item.index, item: this.#finished(item) })
      );
    }
    return (
      this.#event('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.args }) +
      this.#event('response.output_item.done', { output_index: item.index, item: this.#finished(item) })
    );
  }

  #text(delta: string): string {
    let out = '';
    if (this.#open?.kind !== 'message') {
      out += this.#close();
      const item: Item = { kind: 'message', id: newId('msg'), index: this.#items.length, text: '' };
      this.#items.push(item);
      this.#open = item;
      out += this.#event('response.output_item.added', { output_index: item.index, item: messageItem(item.id, '', 'in_progress') });
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
    let item = this.#open?.kind === 'call' && this.#open.chatIndex === chatIndex ? this.#open : undefined;
    if (item === undefined) {
      out += this.#close();
      item = {
        kind: 'call',
        id: newId('fc'),
        index: this.#items.length,
        chatIndex,
        callId: part.id ?? newId('fc'),
        name: part.function?.name ?? '',
        args: '',
      };
      this.#items.push(item);
      this.#open = item;
      out += this.#event('response.output_item.added', {
        output_index: item.index,
        item: functionCallItem(item.id, item.callId, item.name, '', 'in_progress'),
      });
    }
    const delta = part.function?.arguments ?? '';
    if (delta === '') return out;
    item.args += delta;
    return out + this.#event('response.function_call_arguments.delta', { item_id: item.id, output_index: item.index, delta });
  }

  #chunk(chunk: ChatChunk): string {
    if (chunk.error !== undefined)
      return this.fail(chunk.error.message ?? 'The upstream stream failed.', chunk.error.code ?? 'upstream_error');
    if (typeof chunk.model === 'string') this.#model = chunk.model;
    if (chunk.usage != null) this.#usage = toUsage(chunk.usage);
    let out = '';
    for (const choice of chunk.choices ?? []) {
      if (typeof choice.delta?.content === 'string' && choice.delta.content !== '') out += this.#text(choice.delta.content);
      for (const part of choice.delta?.tool_calls ?? []) out += this.#call(part);
      if (choice.finish_reason) this.#finish = choice.finish_reason;
    }
    return out;
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

  /** The closing events once the upstream stream is complete. */
  end(): string {
    if (this.#ended) return '';
    this.#ended = true;
    const status = this.#finish === 'length' ? 'incomplete' : 'completed';
    const closing = this.#close();
    const response = this.#response(status);
    this.#onComplete?.(response);
    return closing + this.#event(`response.${status}`, { response });
  }

  /** Ends the stream as failed (upstream error event, or a stream that broke off). */
  fail(message: string, code: string): string {
    if (this.#ended) return '';
    this.#ended = true;
    const error = { code, message };
    return (
      this.#event('response.failed', { response: this.#response('failed', error) }) + this.#event('error', { code, message, param: null })
    );
  }
}

/**
 * Pipes a chat completion SSE body (the proxy's relay) through the translator. Destroying the result (the
 * client left) destroys the source, which aborts the upstream call.
 */
export function toResponsesStream(source: Readable, echo: ResponsesRequestEcho, onComplete?: (response: Json) => void): Readable {
  const translator = new ResponsesStreamTranslator(echo, onComplete);
  const decoder = new TextDecoder();
  const out = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      done(null, translator.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })));
    },
    flush(done) {
      done(null, translator.end());
    },
  });
  out.push(translator.start());
  source.on('error', (err) => out.destroy(err));
  out.on('close', () => source.destroy());
  return source.pipe(out);
}
