/**
 * `POST /v1/responses`: the Responses API on top of the Hub's chat completions. The request is translated
 * (see request.ts) and forwarded as a chat completion by the proxy itself, so it gets every rule of
 * `/v1/chat/completions`: model check, size and cost limits, budgets, the contract limiter, the usage
 * ledger, Studio UUIDs, the error policy. A 2xx answer is translated back, a stream event by event as it
 * arrives; an error answer passes as it is (the same OpenAI error envelope).
 */
import type { Readable } from 'node:stream';
import { parseJsonObject } from '#shared/http/event.ts';
import type { HandlerResult } from '#shared/http/handler.ts';
import { parseJsonAnswer } from '#shared/http/upstream-fetch.ts';
import { HUB, HUB_PATHS } from '#shared/ionos/upstreams.ts';
import { forward, type ProxyCall, type ProxyDeps } from '#shared/proxy/forward.ts';
import { toChatRequest } from '#shared/responses/request.ts';
import { fromChatCompletion } from '#shared/responses/response.ts';
import { toResponsesStream } from '#shared/responses/stream.ts';

/** Answers one Responses request. */
export async function responses(call: ProxyCall, deps: ProxyDeps): Promise<HandlerResult> {
  const { chat, stream, echo } = toChatRequest(parseJsonObject(call.body.toString('utf8')));
  const path = HUB_PATHS.chatCompletions;
  const answer = await forward({ ...call, path, resource: path, body: Buffer.from(JSON.stringify(chat)) }, deps);
  if (answer.statusCode < 200 || answer.statusCode >= 300) return answer;
  const headers = { ...answer.headers };
  delete headers['content-length'];
  if (!stream || typeof answer.body === 'string') {
    // A Studio model answers a stream with a buffered chat completion too; it is translated as one.
    const text = typeof answer.body === 'string' ? answer.body : '';
    const body = JSON.stringify(fromChatCompletion(parseJsonAnswer(HUB, text), echo));
    return { statusCode: answer.statusCode, headers: { ...headers, 'content-type': 'application/json' }, body };
  }
  return {
    statusCode: answer.statusCode,
    headers: { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    body: toResponsesStream(answer.body as Readable, echo),
  };
}
