/**
 * `/v1/responses`: the Responses API on top of the Hub's chat completions. The request is translated
 * (see request.ts) and each model call made through the pipeline as a chat completion (`hubChat`), so it
 * gets every rule of `/v1/chat/completions`: model check, size and cost limits, budgets, the contract
 * limiter, the usage ledger, Studio UUIDs, the error policy. The answer comes back as a value and is
 * translated, a stream event by event as it arrives; an error answer passes as the proxy gives it. A
 * hosted `web_search` runs here: the model's search calls are searched (see web-search.ts) and the model
 * called again with the results, each call admitted and metered, until it answers or the searches run out.
 * Responses are stored (unless `store: false`) so a conversation can continue by `previous_response_id`.
 * Parameters that were ignored are named in `x-ignored-parameters`, the log line and a metric.
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { BadRequestError, HttpError, RequestAbortedError, ServiceUnavailableError, toErrorBody, toStatus } from '#shared/errors.ts';
import { afterResponse } from '#shared/http/after-response.ts';
import { parseJsonObject } from '#shared/http/event.ts';
import type { HandlerResult } from '#shared/http/handler.ts';
import { jsonResponse } from '#shared/http/json-response.ts';
import { ignoredHeader, namedIgnored } from '#shared/http/ignored-parameters.ts';
import { recordIgnoredParameters } from '#shared/metrics.ts';
import { logger } from '#shared/logger.ts';
import type { HubRequest, Outcome } from '#shared/pipeline/hub-request.ts';
import { hubChat, type HubChatAnswer, type ProxyCall, type ProxyDeps } from '#shared/proxy/forward.ts';
import { relay } from '#shared/proxy/relay.ts';
import type { ChatMessage } from '#shared/responses/input.ts';
import { previousResponseId, RESPONSE_ID, toChatRequest, type TranslatedRequest } from '#shared/responses/request.ts';
import { deleteStored, putStored, readStored, responseNotFound, storePacker } from '#shared/responses/stored.ts';
import { ResponsesStreamTranslator } from '#shared/responses/stream.ts';
import { usageStore } from '#shared/usage/usage-parts.ts';
import type { UsageStore } from '#shared/usage/store.ts';
import { searchForModel, type SearchAnswer, type SearchDeps } from '#shared/web-search.ts';

type Json = Record<string, unknown>;

/** A store call whose failure (not a 404) is a 503: the stored response cannot be read or written now. */
async function storeCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    logger.error('response store failed', { error: err as Error });
    throw new ServiceUnavailableError('Stored responses cannot be reached right now; try again shortly.', {
      code: 'store_unavailable',
      retryAfterSeconds: 5,
      cause: err,
    });
  }
}

/** The table stored responses live in. @throws BadRequestError without one (a server without the usage table). */
function tableFor(param: string): UsageStore {
  const table = usageStore();
  if (table === null)
    throw new BadRequestError('This server stores no responses (no usage table is configured).', { param, code: 'store_unavailable' });
  return table;
}

/** What the bridge needs besides the proxy's deps. */
export interface BridgeDeps extends ProxyDeps {
  /** The hosted web search, when this deployment has a search key; without it `web_search` tools are not served. */
  search: SearchDeps | undefined;
  /** Bounds of the hosted search, as the agent's tool calls are bounded: per model call and per response. */
  searchLimits: { perCall: number; perResponse: number };
}

type ChatCall = { id?: string; function?: { name?: string; arguments?: string } };

/** The chat body for the next model call: without the search tool once the response used its searches. */
function nextChat(chat: Json, webSearch: string | undefined, searchesLeft: boolean): Json {
  if (searchesLeft || webSearch === undefined || !Array.isArray(chat.tools)) return chat;
  const tools = (chat.tools as { function: { name: string } }[]).filter((t) => t.function.name !== webSearch);
  const { tools: _tools, tool_choice: choice, parallel_tool_calls: _parallel, ...rest } = chat;
  if (tools.length === 0) return rest;
  const forcedSearch = (choice as { function?: { name?: string } } | undefined)?.function?.name === webSearch;
  return { ...rest, tools, ...(choice === undefined || forcedSearch ? {} : { tool_choice: choice }) };
}

/** An assistant turn without the hosted search calls that were not run (a chat request needs an answer to each call). */
function withoutUnrun(turn: ChatMessage, webSearch: string | undefined): ChatMessage {
  const calls = (turn.tool_calls as ChatCall[] | undefined)?.filter((c) => c.function?.name !== webSearch);
  const { tool_calls: _calls, ...rest } = turn;
  return calls === undefined || calls.length === 0 ? (rest as ChatMessage) : { ...rest, tool_calls: calls };
}

/**
 * Runs the searches of one model call, within the limits. @returns what each call answers the model, the
 * results for the response's items (undefined when the search failed or was over the limit).
 */
class SearchRunner {
  #done = 0;
  readonly #deps: BridgeDeps;
  readonly #limit: number;

  constructor(deps: BridgeDeps, maxToolCalls: number | null) {
    this.#deps = deps;
    this.#limit = Math.min(deps.searchLimits.perResponse, maxToolCalls ?? Number.POSITIVE_INFINITY);
  }

  /** Searches are left for another model call. */
  get left(): boolean {
    return this.#done < this.#limit;
  }

  async run(query: string, indexInCall: number, signal: AbortSignal | undefined): Promise<SearchAnswer> {
    const search = this.#deps.search;
    if (search === undefined || indexInCall >= this.#deps.searchLimits.perCall || !this.left)
      return { text: 'Web search limit reached for this answer: answer from the results you already have.' };
    this.#done++;
    if (query === '') return { text: 'Web search failed: the call gave no query.' };
    return searchForModel(query, search, signal);
  }
}

/** The request's answer headers: the Hub's passed headers, and the parameters that were ignored. */
function answerHeaders(upstream: Record<string, string>, ignored: string[], contentType: string): Record<string, string> {
  const headers: Record<string, string> = { ...upstream, 'content-type': contentType };
  delete headers['content-length'];
  return { ...headers, ...ignoredHeader(ignored) };
}

/** Answers one `POST /v1/responses`. */
export async function responses(call: ProxyCall, request: HubRequest, deps: BridgeDeps): Promise<HandlerResult> {
  const body = parseJsonObject(call.body.toString('utf8'));
  const { consumer } = request;
  const previous = previousResponseId(body);
  const history: ChatMessage[] =
    previous === null
      ? []
      : (await storeCall(() => readStored(tableFor('previous_response_id'), consumer, previous, 'previous_response_id'))).conversation;
  const translated = toChatRequest(body, history, deps.search !== undefined);
  const { chat, echo, tools, ignored } = translated;
  if (ignored.length > 0) {
    request.fields.ignoredParameters = namedIgnored(ignored);
    recordIgnoredParameters(ignored);
  }
  // A continuation sends the stored conversation too: the Hub request is held to the proxy's body limit,
  // whatever the size of the client's own request.
  const bytes = Buffer.byteLength(JSON.stringify(chat));
  if (bytes > deps.config.proxyMaxRequestBytes) {
    throw new BadRequestError(
      `The conversation continued by previous_response_id is ${bytes} bytes with this input, over this API's limit of ${deps.config.proxyMaxRequestBytes}; start a new conversation or send a shorter one in "input".`,
      { param: previous === null ? 'input' : 'previous_response_id', code: 'conversation_too_large' },
    );
  }
  const table = usageStore();
  echo.store &&= table !== null;
  const pack = echo.store ? await storePacker() : undefined;
  // The response says whether it was stored (one too large for an item is not); the write runs after the
  // answer, as the ledger's: a store that fails loses the continuation, never the answer.
  const keep = (response: Json, conversation: ChatMessage[]) => {
    if (pack === undefined || table === null) return;
    const item = pack(consumer, response, conversation);
    if (item === undefined) {
      response.store = false;
      logger.warn('response not stored: its conversation is larger than an item holds', { id: response.id });
      return;
    }
    afterResponse(
      putStored(table, item).catch((err: unknown) =>
        logger.error('response could not be stored', { id: response.id, error: err as Error }),
      ),
    );
  };
  const searches = new SearchRunner(deps, echo.max_tool_calls);
  const leave = new AbortController();
  const signal = request.context.signal === undefined ? leave.signal : AbortSignal.any([leave.signal, request.context.signal]);
  // The first model call is answered before the response's status is: a refusal is a real 4xx/429 status.
  const first = await hubChat({ ...nextChat(chat, tools.webSearch, searches.left), messages: chat.messages }, request, deps, signal);
  if (first.kind === 'refused') {
    request.finish(first.answer.statusCode, 'complete');
    return first.answer;
  }
  const response = new ResponseRounds({ translated, request, deps, searches, signal, keep });
  if (!translated.stream) {
    const ended = await response.run(first, async () => undefined);
    if (ended.refused !== undefined) {
      request.finish(ended.refused.statusCode, 'complete');
      return ended.refused; // a later model call refused: the answer is that refusal, as it would be alone
    }
    request.finish(ended.status, ended.outcome);
    return { statusCode: 200, headers: answerHeaders(first.headers, ignored, 'application/json'), body: JSON.stringify(ended.response) };
  }
  const out = new PassThrough();
  let over = false;
  out.on('close', () => {
    if (over) return;
    leave.abort();
    response.abort();
  });
  const write = async (text: string) => {
    if (out.destroyed) throw new RequestAbortedError();
    if (text !== '' && !out.write(text)) await once(out, 'drain', { signal: leave.signal });
  };
  response.run(first, write).then(
    (ended) => {
      over = true;
      out.end();
      request.finish(ended.refused?.statusCode ?? ended.status, ended.outcome);
    },
    (err: unknown) => {
      over = true;
      if (leave.signal.aborted || out.destroyed) {
        request.finish(200, 'aborted');
        return;
      }
      out.end(response.fail(err));
      // After the 200: a later model call refused (a budget spent, the contract full) or IONOS failing.
      const status = toStatus(err);
      request.finish(status, status >= 500 ? 'failed' : 'error', err);
    },
  );
  return {
    statusCode: 200,
    headers: { ...answerHeaders(first.headers, ignored, 'text/event-stream'), 'cache-control': 'no-cache' },
    body: out,
  };
}

/** What the rounds of one response run with. */
interface RoundsContext {
  translated: TranslatedRequest;
  request: HubRequest;
  deps: BridgeDeps;
  searches: SearchRunner;
  signal: AbortSignal;
  keep: (response: Json, conversation: ChatMessage[]) => void;
}

/** How a response's rounds ended. */
interface RoundsEnd {
  status: number;
  outcome: Outcome;
  /** The final response (completed, incomplete or failed). */
  response: Json;
  /** A later model call's refusal, for a buffered answer to give as it is. */
  refused?: HandlerResult;
}

/**
 * The model calls of one response ("rounds"): each through the pipeline, a hosted search run between them,
 * until the model answers, calls the client's tools, or the searches run out. One translator builds the
 * response for both modes; a streamed response writes its events as they come, a buffered one drops them.
 */
class ResponseRounds {
  readonly #translator: ResponsesStreamTranslator;
  readonly #messages: ChatMessage[];
  #current: Readable | undefined;

  readonly #ctx: RoundsContext;

  constructor(ctx: RoundsContext) {
    this.#ctx = ctx;
    this.#translator = new ResponsesStreamTranslator(ctx.translated.echo, ctx.translated.tools);
    this.#messages = [...(ctx.translated.chat.messages as ChatMessage[])];
  }

  /** Stops the upstream stream being read (the client left). */
  abort(): void {
    this.#current?.destroy();
  }

  /** The closing events of a response that failed with `err`. */
  fail(err: unknown): string {
    const { error } = toErrorBody(err);
    return this.#translator.fail(error.message, error.code ?? 'upstream_error');
  }

  async run(first: HubChatAnswer, emit: (events: string) => Promise<void>): Promise<RoundsEnd> {
    const { translated, request, deps, searches, signal, keep } = this.#ctx;
    const { chat, tools, conversation } = translated;
    const t = this.#translator;
    await emit(t.start());
    let answer = first;
    let offered = searches.left;
    for (;;) {
      if (answer.kind === 'refused') {
        const { error } = JSON.parse(String(answer.answer.body)) as { error: { message: string; code?: string | null } };
        await emit(t.fail(error.message, error.code ?? 'upstream_error'));
        return { status: answer.answer.statusCode, outcome: 'complete', response: t.response('failed'), refused: answer.answer };
      }
      if (answer.kind === 'completion') await emit(t.completion(answer.completion));
      else {
        const metered = answer.call;
        const decoder = new TextDecoder();
        this.#current = relay(answer.body, { onChunk: (chunk) => metered.observe(chunk), onDone: () => undefined });
        for await (const chunk of this.#current) await emit(t.push(decoder.decode(chunk as Buffer, { stream: true })));
      }
      if (t.ended) return { status: 502, outcome: 'failed', response: t.response('failed') };
      const { events, end } = t.endRound();
      await emit(events);
      // Searches asked for once the search was withdrawn are not run: they end failed, and so does the loop.
      if (!offered) for (const search of end.searches) await emit(t.searched(search.callId, undefined));
      if (end.searches.length === 0 || !offered) {
        const kept = [
          ...conversation,
          ...this.#messages.slice((chat.messages as ChatMessage[]).length),
          withoutUnrun(end.assistant, tools.webSearch),
        ];
        let response: Json = {};
        await emit(
          t.end((final) => {
            keep(final, kept);
            response = final;
          }),
        );
        return { status: 200, outcome: 'complete', response };
      }
      this.#messages.push(end.assistant);
      for (const [i, search] of end.searches.entries()) {
        await emit(t.searching(search.callId));
        const { results, text } = await searches.run(search.query, i, signal);
        await emit(t.searched(search.callId, results));
        this.#messages.push({ role: 'tool', tool_call_id: search.callId, content: text });
      }
      offered = searches.left;
      answer = await hubChat({ ...nextChat(chat, tools.webSearch, offered), messages: this.#messages }, request, deps, signal);
    }
  }
}

/** `GET` or `DELETE /v1/responses/{id}` for the consumer who made it. */
export async function storedResponse(method: string, id: string, consumer: string): Promise<HandlerResult> {
  // Not an id this API gives: no store call (a key longer than DynamoDB takes would be a 503, not a 404).
  if (!RESPONSE_ID.test(id)) throw responseNotFound(id);
  const table = tableFor('id');
  if (method === 'DELETE') {
    await storeCall(() => deleteStored(table, consumer, id));
    return jsonResponse(200, { id, object: 'response', deleted: true });
  }
  return jsonResponse(200, (await storeCall(() => readStored(table, consumer, id))).response);
}
