/**
 * The Hub chat model: LangChain's ChatOpenAI pointed at the Hub's OpenAI-compatible API, sending every HTTP
 * call through the run's pipeline (`HubRequest.modelFetch`), so each model call of the agent is admitted,
 * limited, metered and recorded like a proxied request, with the Hub client's token handling, redaction,
 * 401 refetch, timeouts, typed errors and Retry-After-aware retries (within the run's deadline).
 */
import { ChatOpenAI } from '@langchain/openai';
import type { RuntimeConfig } from '#shared/config.ts';

/** What one run's model needs. */
export interface HubModelOptions {
  modelId: string;
  /** The run's metered fetch (see `HubRequest.modelFetch`). */
  fetch: typeof fetch;
  config: Pick<RuntimeConfig, 'hubBaseUrl'> & { agent: Pick<RuntimeConfig['agent'], 'temperature' | 'maxTokens'> };
}

// The OpenAI SDK insists on a key; the Hub client replaces the authorization header with the IONOS token.
const KEY_SET_BY_HUB_CLIENT = 'set-by-the-hub-client';

/** Creates the chat model for one run. */
export function createHubChatModel(options: HubModelOptions): ChatOpenAI {
  return new ChatOpenAI({
    model: options.modelId,
    apiKey: KEY_SET_BY_HUB_CLIENT,
    temperature: options.config.agent.temperature,
    maxTokens: options.config.agent.maxTokens,
    maxRetries: 0, // retries happen in the fetch wrapper, where Retry-After and the deadline are known
    streamUsage: true,
    configuration: { baseURL: `${options.config.hubBaseUrl}/v1`, fetch: options.fetch },
  });
}
