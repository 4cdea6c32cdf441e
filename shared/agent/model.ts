/**
 * The Hub chat model: LangChain's ChatOpenAI pointed at the Hub's OpenAI-compatible API, with every HTTP
 * call going through our fetch wrapper, so the agent gets the same timeouts, typed errors and
 * Retry-After-aware retries (within the run's deadline) as every other upstream call.
 */
import { ChatOpenAI } from '@langchain/openai';
import type { RuntimeConfig } from '#shared/config.ts';
import { parseJsonAnswer, upstreamFetch, type Upstream } from '#shared/http/upstream-fetch.ts';
import { hubUpstream } from '#shared/ionos/upstreams.ts';

/** What one run's model needs. */
export interface HubModelOptions {
  modelId: string;
  token: string;
  /** Every credential the run holds, kept out of error messages. */
  secrets: readonly (string | undefined)[];
  /** Epoch ms after which no retry starts. */
  deadline: number;
  config: Pick<RuntimeConfig, 'hubBaseUrl' | 'upstreamTimeoutMs'> & { agent: Pick<RuntimeConfig['agent'], 'temperature' | 'maxTokens'> };
}

/** A fetch for the OpenAI SDK that sends its requests through {@link upstreamFetch}. */
function hubFetch({ token, secrets, deadline, config }: HubModelOptions): typeof fetch {
  const upstream = hubUpstream(config);
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const response = await upstreamFetch(upstream, {
      path: url.slice(config.hubBaseUrl.length),
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: init?.body as string | undefined,
      signal: init?.signal ?? undefined,
      token,
      redact: secrets,
      timeoutMs: config.upstreamTimeoutMs,
      retry: { attempts: 4, deadline, maxDelayMs: 30_000 },
    });
    return checkedJson(upstream, response);
  };
}

/**
 * A JSON answer is checked before the SDK sees it: the SDK would throw a bare SyntaxError (a 500 for our
 * client) where a malformed upstream answer is a 502. Streams pass as they are.
 */
async function checkedJson(upstream: Upstream, response: Response): Promise<Response> {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return response;
  const text = await response.text();
  parseJsonAnswer(upstream, text);
  return new Response(text, { status: response.status, headers: response.headers });
}

/** Creates the chat model for one run. */
export function createHubChatModel(options: HubModelOptions): ChatOpenAI {
  return new ChatOpenAI({
    model: options.modelId,
    apiKey: options.token,
    temperature: options.config.agent.temperature,
    maxTokens: options.config.agent.maxTokens,
    maxRetries: 0, // retries happen in the fetch wrapper, where Retry-After and the deadline are known
    streamUsage: true,
    configuration: { baseURL: `${options.config.hubBaseUrl}/v1`, fetch: hubFetch(options) },
  });
}
