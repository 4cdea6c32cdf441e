/**
 * The Hub chat model: LangChain's ChatOpenAI pointed at the Hub's OpenAI-compatible API, sending every HTTP
 * call through the one Hub client, so the agent gets the same token handling, redaction, 401 refetch,
 * timeouts, typed errors and Retry-After-aware retries (within the run's deadline) as the proxy.
 */
import { ChatOpenAI } from '@langchain/openai';
import type { RuntimeConfig } from '#shared/config.ts';
import { parseJsonAnswer } from '#shared/http/upstream-fetch.ts';
import type { HubClient } from '#shared/ionos/hub-client.ts';
import { HUB } from '#shared/ionos/upstreams.ts';

/** What one run's model needs. */
export interface HubModelOptions {
  modelId: string;
  hub: HubClient;
  /** Epoch ms after which no retry starts. */
  deadline: number;
  config: Pick<RuntimeConfig, 'hubBaseUrl'> & { agent: Pick<RuntimeConfig['agent'], 'temperature' | 'maxTokens'> };
}

// The OpenAI SDK insists on a key; the Hub client replaces the authorization header with the IONOS token.
const KEY_SET_BY_HUB_CLIENT = 'set-by-the-hub-client';

/** A fetch for the OpenAI SDK that sends its requests through the Hub client. */
function hubFetch({ hub, deadline, config }: HubModelOptions): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const response = await hub.fetch(url.slice(config.hubBaseUrl.length), {
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: init?.body as string | undefined,
      signal: init?.signal ?? undefined,
      retry: { attempts: 4, deadline, maxDelayMs: 30_000 },
      waitForContractUntil: deadline, // the agent waits for a contract slot within its run, rather than failing
    });
    return checkedJson(response);
  };
}

/**
 * A JSON answer is checked before the SDK sees it: the SDK would throw a bare SyntaxError (a 500 for our
 * client) where a malformed upstream answer is a 502. Streams pass as they are.
 */
async function checkedJson(response: Response): Promise<Response> {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return response;
  const text = await response.text();
  parseJsonAnswer(HUB, text);
  return new Response(text, { status: response.status, headers: response.headers });
}

/** Creates the chat model for one run. */
export function createHubChatModel(options: HubModelOptions): ChatOpenAI {
  return new ChatOpenAI({
    model: options.modelId,
    apiKey: KEY_SET_BY_HUB_CLIENT,
    temperature: options.config.agent.temperature,
    maxTokens: options.config.agent.maxTokens,
    maxRetries: 0, // retries happen in the fetch wrapper, where Retry-After and the deadline are known
    streamUsage: true,
    configuration: { baseURL: `${options.config.hubBaseUrl}/v1`, fetch: hubFetch(options) },
  });
}
