// Run in a fresh process by the bench: prints how long the first agent graph build takes (ms): the
// container's one compile, and the first run's config (its model's tools bound).
import { agentGraph, agentRunConfig } from '#shared/agent/graph.ts';
import { createTools } from '#shared/agent/tools.ts';
import { ToolLessModels } from '#shared/agent/tool-less.ts';
import { ScriptedChatModel } from '#test/helpers/scripted-chat-model.ts';

const started = performance.now();
agentGraph();
agentRunConfig({
  model: new ScriptedChatModel([]),
  modelId: 'probe',
  systemPrompt: () => '',
  toolLessModels: new ToolLessModels(900_000),
  limits: { maxToolCallsPerStep: 4, maxToolCallsPerRun: 8, maxModelCalls: 5 },
  tools: createTools({ tavilyApiKey: 'probe', tavilyBaseUrl: 'http://127.0.0.1:9', timeoutMs: 1_000 }),
});
console.log(performance.now() - started);
