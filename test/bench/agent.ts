/**
 * Agent figures: our time per run with a zero-latency scripted model (so everything measured is ours:
 * graph build, message conversion, the LangGraph loop, the tool, the response shape), and the first run
 * in a fresh process (graph build included).
 */
import { runAgent, type AgentDeps } from '#shared/agent/run.ts';
import { ToolLessModels } from '#shared/agent/tool-less.ts';
import { createPipeline } from '#shared/pipeline/hub-request.ts';
import { loadConfig } from '#shared/config.ts';
import { createCredentialStore } from '#shared/credentials.ts';
import { ScriptedChatModel, type ScriptStep } from '#test/helpers/scripted-chat-model.ts';
import { percentile, round, timeEach } from './stats.ts';

const oneToolCall = (): ScriptStep[] => [
  { toolCalls: [{ name: 'current_datetime', args: { timezone: 'Europe/Berlin' } }] },
  { content: 'It is morning in Berlin.' },
];

/** p50/p99 of one-tool-call runs, in ms. */
export async function measureAgentOverhead(runs: number): Promise<{ p50: number; p99: number; first: number }> {
  const model = new ScriptedChatModel([]);
  const deps: AgentDeps = {
    config: loadConfig({}),
    credentials: createCredentialStore({ secretId: undefined, envCredentials: { ionosApiToken: 'bench' }, secretCacheSeconds: 300 }),
    toolLessModels: new ToolLessModels(900_000),
    createModel: () => model,
  };
  const pipeline = createPipeline({
    hub: { fetch: () => Promise.reject(new Error('not used')) },
    studio: { generate: () => Promise.reject(new Error('not used')) },
  });
  const once = async () => {
    model.shared.script.push(...oneToolCall());
    await runAgent(
      {
        route: { target: 'hub', modelId: 'mistralai/Mistral-Small-24B-Instruct' },
        messages: [{ type: 'human', content: 'What time is it in Berlin?' }],
        deadlineMs: 10_000,
        upstream: pipeline.begin({ consumer: 'anonymous', kind: 'agent run', route: '/', requestId: 'bench', mode: 'buffered' }),
      },
      deps,
    );
    model.shared.calls.length = 0;
  };
  const [first] = await timeEach(1, once);
  await timeEach(50, once); // warm-up
  const samples = await timeEach(runs, once);
  return { p50: round(percentile(samples, 50), 3), p99: round(percentile(samples, 99), 3), first: round(first as number) };
}
