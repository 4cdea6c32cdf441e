/**
 * The common middy stack every HTTP function uses: Powertools Logger context with the calling consumer,
 * CORS headers, and the one error mapper.
 * Buffered handlers return an API Gateway proxy result; streaming handlers return the same shape with a
 * string or stream body, and middy writes it through `awslambda.HttpResponseStream`.
 *
 * The handler's `signal` aborts when middy's early timeout fires and, for streaming functions, when the
 * response stream closes before the answer was written (the client left), so buffered answers computed by a
 * streaming function (a non-streamed completion, a Studio poll) stop too.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { Readable } from 'node:stream';
import { getConfig } from '#shared/config.ts';
import { toErrorResponse, toStatus } from '#shared/errors.ts';
import { settleAfterResponse } from '#shared/http/after-response.ts';
import { corsHeaders } from '#shared/http/cors.ts';
import { followSignal } from '#shared/http/follow-signal.ts';
import { currentConsumers, refreshConsumers } from '#shared/usage/current-consumers.ts';
import { consumerName } from '#shared/usage/consumer-settings.ts';
import { getHeader } from '#shared/http/event.ts';
import { logger } from '#shared/logger.ts';
import { FUNCTIONS, type FunctionName } from '#shared/routes.ts';

/** What a handler returns: a proxy result whose body may be a stream for streaming functions. */
export interface HandlerResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string | Readable | ReadableStream;
}

/**
 * The handler function, given the event, the Lambda context and two abort signals: `signal` (middy's early
 * timeout, or the client gone) and `timeoutSignal` (the timeout alone, for work that goes on without the
 * client: a thread run with `on_disconnect: "continue"`).
 */
export type RouteHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
  options: { signal: AbortSignal; timeoutSignal: AbortSignal },
) => Promise<HandlerResult>;

/**
 * The consumer that called: the name `CONSUMERS` gives the API key API Gateway matched to the request (the
 * usage-plan key), else that key's id, or `anonymous` where there is none. Never the key itself.
 */
export function consumerOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string {
  return consumerName(currentConsumers(), event.requestContext?.identity?.apiKeyId);
}

/** Tags every log line of the request with its consumer (reset with the Lambda context keys). */
function consumerKeys(): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: async (request) => {
      await refreshConsumers();
      logger.appendKeys({ consumer: consumerOf(request.event) });
    },
  };
}

// The controllers of streaming invocations, aborted when the client leaves, by their Lambda context (one per invocation).
const clientGone = new WeakMap<object, AbortController>();

type StreamingHandler = (
  event: unknown,
  responseStream: NodeJS.WritableStream & { writableFinished?: boolean },
  context: object,
) => Promise<unknown>;

/** Wraps middy's streaming handler so an early close of the response stream aborts the request's work. */
function watchClient(inner: StreamingHandler) {
  return awslambda.streamifyResponse(async (event: unknown, responseStream: Parameters<StreamingHandler>[1], context: object) => {
    const gone = new AbortController();
    const onClose = () => {
      if (responseStream.writableFinished !== true) gone.abort(new Error('the client closed the connection'));
    };
    responseStream.once('close', onClose);
    clientGone.set(context, gone);
    try {
      return await inner(event, responseStream, context);
    } finally {
      responseStream.removeListener('close', onClose);
      await settleAfterResponse(); // the response stream has ended: the client has its answer
    }
  });
}

/** Maps any error to the OpenAI envelope; logs 5xx with their cause chain, 4xx as a one-line info. */
function errorMapper(): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    onError: (request) => {
      const status = toStatus(request.error);
      if (status >= 500) logger.error('request failed', { status, error: request.error as Error });
      else logger.info('request rejected', { status, reason: (request.error as Error).message });
      request.response = toErrorResponse(request.error);
    },
  };
}

/** Adds CORS headers for allowed origins to every response, errors included. */
function cors(allowed: readonly string[]): MiddlewareObj<APIGatewayProxyEvent> {
  const add = (request: { event: APIGatewayProxyEvent; response: unknown }) => {
    const headers = corsHeaders(getHeader(request.event, 'origin'), allowed);
    const response = request.response as { headers?: Record<string, string> } | null | undefined;
    if (response && Object.keys(headers).length > 0) response.headers = { ...response.headers, ...headers };
  };
  return { after: add, onError: add };
}

/**
 * Wraps a function's route handler with the common stack, in the mode the route table gives the function
 * (response streaming or buffered), so the deployed integration and the handler cannot disagree.
 * @param name the function, as in `FUNCTIONS` (its file in `functions/`).
 */
export function createHandler(name: FunctionName, handler: RouteHandler) {
  const { streaming } = FUNCTIONS[name];
  const stack = streaming ? middy({ executionMode: executionModeStreamifyResponse }) : middy();
  const withClientSignal = (event: APIGatewayProxyEvent, context: Context, { signal }: { signal: AbortSignal }) => {
    const gone = clientGone.get(context);
    if (gone === undefined) return handler(event, context, { signal, timeoutSignal: signal });
    followSignal(gone, signal); // both end with this invocation: nothing to stop following
    return handler(event, context, { signal: gone.signal, timeoutSignal: signal });
  };
  // onError runs in reverse order of use: the mapper builds the response, then CORS decorates it.
  const wrapped = stack
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(consumerKeys())
    .use(cors(getConfig().allowedOrigins))
    .use(errorMapper())
    .handler(withClientSignal as Parameters<typeof stack.handler>[0]);
  if (streaming) return watchClient(wrapped as unknown as StreamingHandler);
  return async (event: APIGatewayProxyEvent, context: Context) => {
    try {
      return await wrapped(event, context);
    } finally {
      await settleAfterResponse();
    }
  };
}
