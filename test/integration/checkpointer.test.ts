// The DynamoDB checkpointer (shared/threads/checkpointer.ts): the official LangGraph validation suite passes
// against it on the embedded store (run on the Vitest its package brings, see test/checkpoint/), and what
// the suite does not ask for holds too: a value larger than a DynamoDB item round-trips whole (gzipped,
// then split over parts), every item carries its TTL, and deleting a thread leaves none of its items.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo, type EmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import { DynamoCheckpointer } from '#shared/threads/checkpointer.ts';
import { openUsageStore, type UsageStore } from '#shared/usage/store.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const SUITE_VITEST = `${ROOT}node_modules/@langchain/langgraph-checkpoint-validation/node_modules/vitest/vitest.mjs`;

let dynamo: EmbeddedDynamo;
let store: UsageStore;
beforeAll(async () => {
  Object.assign(process.env, EMBEDDED_AWS_ENV);
  dynamo = await startEmbeddedDynamo();
  store = openUsageStore({ tableName: dynamo.tableName, endpoint: dynamo.endpoint });
});
afterAll(() => dynamo?.close());

/** Every item of the table. */
async function items() {
  const { db, sdk } = await store.connect();
  return (await db.send(new sdk.ScanCommand({ TableName: store.tableName }))).Items ?? [];
}

describe('the DynamoDB checkpointer', () => {
  it('passes the official LangGraph checkpointer validation suite', { timeout: 180_000 }, async () => {
    const child = spawn(process.execPath, [SUITE_VITEST, 'run', '--config', 'test/checkpoint/vitest.config.ts'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, out.slice(-4000)).toBe(0);
    expect(out).toMatch(/Tests\s+\d+ passed/);
  });

  it('keeps a value larger than an item whole (gzipped, then in parts), with a TTL on every item, and deletes a thread entirely', async () => {
    const saver = new DynamoCheckpointer(store, { ttlDays: 30 });
    // Random text barely compresses: 1.2 MB stays over the item size after gzip and is split.
    const big = Array.from({ length: 1_200_000 / 16 }, () => Math.random().toString(36).slice(2, 18)).join('');
    const config = { configurable: { thread_id: 'big-thread', checkpoint_ns: '' } };
    const checkpoint = {
      v: 4,
      id: '1f0a0000-0000-6000-8000-000000000001',
      ts: new Date().toISOString(),
      channel_values: { messages: big },
      channel_versions: { messages: 1 },
      versions_seen: {},
    };
    const saved = await saver.put(config, checkpoint, { source: 'input', step: -1, parents: {} }, { messages: 1 });
    await saver.putWrites(saved, [['messages', big]], 'task-1');
    const tuple = await saver.getTuple(saved);
    expect(tuple?.checkpoint.channel_values.messages).toBe(big);
    expect(tuple?.pendingWrites).toEqual([['task-1', 'messages', big]]);
    const stored = (await items()).filter((i) => i.pk?.S === 'T#big-thread');
    expect(stored.filter((i) => i.sk?.S?.includes('#p')).length).toBeGreaterThanOrEqual(2);
    const now = Date.now() / 1000;
    for (const item of stored) expect(Number(item.expiresAt?.N) - now).toBeGreaterThan(29 * 86_400);
    await saver.deleteThread('big-thread');
    expect((await items()).filter((i) => i.pk?.S === 'T#big-thread')).toEqual([]);
    expect(await saver.getTuple(saved)).toBeUndefined();
  });
});
