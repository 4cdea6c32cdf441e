/**
 * `/v1/responses`: the Responses API on top of the Hub's chat completions. The request is translated
 * (see request.ts) and forwarded as a chat completion by the proxy itself, so it gets every rule of
 * `/v1/chat/completions`: model check, size and cost limits, budgets, the contract limiter, the usage
 * ledger, Studio UUIDs, the error policy. A 2xx answer is translated back, a stream event by event as it
 * arrives; an error answer passes as it is (the same OpenAI error envelope). Responses are stored (unless
 * `store: false`) so a conversation can continue by `previous_response_id` (see stored.ts).
 */
import type { Readable } from 'node:stream';
import { BadRequestError, HttpError, ServiceUnavailableError } from '#shared/errors.ts';
import { afterResponse } from '#shared/http/after-response.ts';
import { parseJsonObject } from '#shared/http/event.ts';
import type { HandlerResult } from '#shared/http/handler.ts';
import { jsonResponse } from '#shared/http/response.ts';
import { parseJsonAnswer } from '#shared/http/upstream-fetch.ts';
import { HUB, HUB_PATHS } from '#shared/ionos/upstreams.ts';
import { logger } from '#shared/observability.ts';
import type { HubRequest } from '#shared/pipeline/hub-request.ts';
import { forward, type ProxyCall, type ProxyDeps } from '#shared/proxy/forward.ts';
import type { ChatMessage } from '#shared/responses/input.ts';
import { previousResponseId, RESPONSE_ID, toChatRequest } from '#shared/responses/request.ts';
import { fromChatCompletion } from '#shared/responses/response.ts';
import { deleteStored, putStored, readStored, responseNotFound, storePacker } from '#shared/responses/stored.ts';
import { toResponsesStream } from '#shared/responses/stream.ts';
import { usageStore } from '#shared/usage/usage.ts';
import type { UsageStore } from '#shared/usage/store.ts';

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

/** Answers one `POST /v1/responses`. */
export async function responses(call: ProxyCall, request: HubRequest, deps: ProxyDeps): Promise<HandlerResult> {
  const body = parseJsonObject(call.body.toString('utf8'));
  const { consumer } = request;
  const previous = previousResponseId(body);
  const history: ChatMessage[] =
    previous === null
      ? []
      : (await storeCall(() => readStored(tableFor('previous_response_id'), consumer, previous, 'previous_response_id'))).conversation;
  const { chat, stream, echo, conversation } = toChatRequest(body, history);
  // A continuation sends the stored conversation too: the Hub request is held to the proxy's body limit,
  // whatever the size of the client's own request.
  const upstreamBody = Buffer.from(JSON.stringify(chat));
  if (upstreamBody.byteLength > deps.config.proxyMaxRequestBytes) {
    throw new BadRequestError(
      `The conversation continued by previous_response_id is ${upstreamBody.byteLength} bytes with this input, over this API's limit of ${deps.config.proxyMaxRequestBytes}; start a new conversation or send a shorter one in "input".`,
      { param: previous === null ? 'input' : 'previous_response_id', code: 'conversation_too_large' },
    );
  }
  const table = usageStore();
  echo.store &&= table !== null;
  const pack = echo.store ? await storePacker() : undefined;
  // The response says whether it was stored (one too large for an item is not); the write runs after the
  // answer, as the ledger's: a store that fails loses the continuation, never the answer.
  const keep = (response: Record<string, unknown>) => {
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

  const path = HUB_PATHS.chatCompletions;
  const answer = await forward({ ...call, path, resource: path, body: upstreamBody }, request, deps);
  if (answer.statusCode < 200 || answer.statusCode >= 300) return answer;
  const headers = { ...answer.headers };
  delete headers['content-length'];
  if (!stream || typeof answer.body === 'string') {
    // A Studio model answers a stream with a buffered chat completion too; it is translated as one.
    const response = fromChatCompletion(parseJsonAnswer(HUB, typeof answer.body === 'string' ? answer.body : ''), echo);
    keep(response);
    return { statusCode: answer.statusCode, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(response) };
  }
  return {
    statusCode: answer.statusCode,
    headers: { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    body: toResponsesStream(answer.body as Readable, echo, keep),
  };
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
