/**
 * What a thread adds to an agent run: a turn on a thread (`POST /threads/{id}/runs/wait`: the thread's claim,
 * its state read, each step's checkpoint written, the release) against the same one-model-call run on
 * `POST /`, through npm start with its embedded DynamoDB-compatible store, in interleaved rounds; the stateless
 * `/runs/wait` as a reference; and the DynamoDB calls of a turn, counted by a pass-through between the API and
 * the store, for a thread's first turn and for a later one (whose state is read back first).
 */
import { Agent } from 'node:http';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { spawnApi } from '#test/helpers/spawn-api.ts';
import { send, type LoadRequest } from '#test/load/http-load.ts';
import { countingPassThrough, perRequest } from './usage-table.ts';
import { percentile, round } from './stats.ts';

const KEY = 'benchThreadKey0123456789abcd';
const MODEL = 'mistralai/Mistral-Small-24B-Instruct';
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const AGENT: LoadRequest = {
  method: 'POST',
  path: '/',
  body: JSON.stringify({ messages: [{ type: 'human', content: 'Hello' }] }),
  headers: { ...headers, 'x-model-id': MODEL },
};
const runBody = JSON.stringify({
  assistant_id: 'agent',
  input: { messages: [{ type: 'human', content: 'Hello' }] },
  context: { model: MODEL },
});
const threadRun = (threadId: string): LoadRequest => ({ method: 'POST', path: `/threads/${threadId}/runs/wait`, body: runBody, headers });
const STATELESS: LoadRequest = { method: 'POST', path: '/runs/wait', body: runBody, headers };

/** The figures. */
export interface ThreadCost {
  /** A thread turn's time over the same `POST /` run, p50 and p99. */
  added: { p50: number; p99: number };
  /** A stateless run's time over `POST /`, p50. */
  statelessAddedP50: number;
  /** Store calls of a thread's first turn and of its second, by operation. */
  firstTurn: { total: number; byOperation: string };
  laterTurn: { total: number; byOperation: string };
}

async function createThread(agent: Agent, base: string): Promise<string> {
  const res = await send(agent, base, { method: 'POST', path: '/threads', body: '{}', headers });
  return (JSON.parse(res.body) as { thread_id: string }).thread_id;
}

/** Measures `count` interleaved rounds after a warm-up, and the store calls over `countTurns` threads. */
export async function measureThreadRuns(sim: Simulator, count: number, countTurns = 50): Promise<ThreadCost> {
  const store = await startEmbeddedDynamo();
  const env = { ...EMBEDDED_AWS_ENV, USAGE_TABLE: store.tableName, LOCAL_API_KEYS: `bench:${KEY}`, LOCAL_BUDGETS: '{}' };
  const counter = await countingPassThrough(store.endpoint);
  const [api, counted] = await Promise.all([
    spawnApi(sim, { ...env, DYNAMODB_ENDPOINT: store.endpoint }),
    spawnApi(sim, { ...env, DYNAMODB_ENDPOINT: counter.url }),
  ]);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const times = { agent: [] as number[], thread: [] as number[], stateless: [] as number[] };
    const timed = async (list: number[] | undefined, req: LoadRequest) => {
      const t = performance.now();
      const res = await send(agent, api.url, req);
      if (res.status !== 200) throw new Error(`${req.path} answered ${res.status}: ${res.body.slice(0, 200)}`);
      list?.push(performance.now() - t);
    };
    const warmUp = Math.min(50, count);
    for (let i = 0; i < count + warmUp; i++) {
      const keep = i >= warmUp;
      const threadId = await createThread(agent, api.url); // a fresh thread: the same one-turn conversation as POST /
      await timed(keep ? times.agent : undefined, AGENT);
      await timed(keep ? times.thread : undefined, threadRun(threadId));
      await timed(keep ? times.stateless : undefined, STATELESS);
    }
    const p = (list: number[], q: number) => percentile(list, q);
    const turns = async (second: boolean) => {
      const ids: string[] = [];
      for (let i = 0; i < countTurns; i++) {
        const id = await createThread(agent, counted.url);
        if (second) await send(agent, counted.url, threadRun(id));
        ids.push(id);
      }
      await new Promise((r) => setTimeout(r, 500)); // the ledger writes that follow each answer
      counter.counts.clear();
      for (const id of ids) await send(agent, counted.url, threadRun(id));
      await new Promise((r) => setTimeout(r, 500));
      return perRequest(counter.counts, countTurns);
    };
    await send(agent, counted.url, threadRun(await createThread(agent, counted.url))); // loads the SDK
    const firstTurn = await turns(false);
    const laterTurn = await turns(true);
    return {
      added: { p50: round(p(times.thread, 50) - p(times.agent, 50), 3), p99: round(p(times.thread, 99) - p(times.agent, 99), 3) },
      statelessAddedP50: round(p(times.stateless, 50) - p(times.agent, 50), 3),
      firstTurn,
      laterTurn,
    };
  } finally {
    agent.destroy();
    await Promise.all([api.stop(), counted.stop()]);
    counter.close();
    await store.close();
  }
}

/**
 * The floor LangGraph's checkpointing sets, in process and without any store: the same one-answer run
 * through the compiled agent graph with its in-memory saver (`MemorySaver`: every step's checkpoint and
 * writes serialised and kept) over the graph without a checkpointer, p50 in ms.
 */
export async function measureSaverFloor(runs: number): Promise<number> {
  const { MemorySaver } = await import('@langchain/langgraph');
  const { HumanMessage } = await import('@langchain/core/messages');
  const { agentGraph, agentRunConfig } = await import('#shared/agent/graph.ts');
  const { ToolLessModels } = await import('#shared/agent/tool-less.ts');
  const { ScriptedChatModel } = await import('#test/helpers/scripted-chat-model.ts');
  const { timeEach } = await import('./stats.ts');
  const model = new ScriptedChatModel([]);
  const saver = new MemorySaver();
  const limits = { maxToolCallsPerStep: 4, maxToolCallsPerRun: 8, maxModelCalls: 5 };
  const once = (withSaver: boolean) => async () => {
    model.shared.script.push({ content: 'Hello.' });
    const run = agentRunConfig({
      model,
      modelId: 'bench',
      tools: [],
      toolLessModels: new ToolLessModels(0),
      limits,
      systemPrompt: () => 'Be brief.',
    });
    const configurable = withSaver ? { ...run.configurable, thread_id: crypto.randomUUID() } : run.configurable;
    await agentGraph(withSaver ? saver : undefined).invoke({ messages: [new HumanMessage('Hello')] }, { configurable });
    model.shared.calls.length = 0;
  };
  await timeEach(50, once(false));
  await timeEach(50, once(true));
  const plain: number[] = [];
  const saved: number[] = [];
  for (let i = 0; i < runs; i++) {
    plain.push(...(await timeEach(1, once(false))));
    saved.push(...(await timeEach(1, once(true))));
  }
  return round(percentile(saved, 50) - percentile(plain, 50), 3);
}
