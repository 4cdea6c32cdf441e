// Property-based fuzzing (fast-check) of every route through the local server against the simulator:
// random and mutated JSON, wrong types, huge strings, deep nesting, invalid UTF-8, wrong content types,
// odd and duplicated headers, odd x-model-id values, paths and query strings. Every answer is a 4xx in
// the error envelope or a documented 2xx; input never causes a 5xx, a crash or a hang.
// Fixed seed (FUZZ_SEED) so CI is reproducible; FUZZ_RUNS raises the run count locally.
// Invalid UTF-8 reaches the functions as U+FFFD, as API Gateway passes non-binary bodies as text, so it is
// answered like any other text (the local server decodes the same way).
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo, type EmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import { HUB_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const REQUEST_TIMEOUT_MS = 15_000;
const STUDIO_UUID = '7b19cae7-0983-4a6b-a03c-a647db48f00b';
let stack: LocalStack;
let store: EmbeddedDynamo;
const statuses = new Map<number, number>();

beforeAll(async () => {
  // A usage table, so the LangGraph API's threads are served (and the ledger records, as deployed).
  store = await startEmbeddedDynamo();
  // Small body limits, so the fuzzer's huge strings meet them often and cheaply.
  stack = await startLocalStack({
    ...EMBEDDED_AWS_ENV,
    USAGE_TABLE: store.tableName,
    DYNAMODB_ENDPOINT: store.endpoint,
    STUDIO_MODELS: JSON.stringify({ demo: STUDIO_UUID }),
    UPSTREAM_TIMEOUT_MS: '5000',
    AGENT_MAX_REQUEST_BYTES: '65536',
    PROXY_MAX_REQUEST_BYTES: '65536',
  });
  stack.sim.control.studioPollsBeforeDone = 0;
});
afterAll(async () => {
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  const byStatus = [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  console.log(`fuzz: ${total} requests (seed ${SEED}, ${RUNS} runs per property; FUZZ_RUNS raises it): ${byStatus}`);
  await stack.close();
  await store.close();
});

interface Sent {
  method: string;
  path: string;
  /** Raw header pairs, so duplicates and odd casing go out as they are. */
  headers: [string, string][];
  body?: Buffer;
}

/** Sends exactly these bytes and reads the whole answer; fails on a hang. */
function send({ method, path, headers, body }: Sent): Promise<{ status: number; type: string; text: string }> {
  const { port } = new URL(stack.api.url);
  const raw = ['host', `127.0.0.1:${port}`, ...headers.flat()];
  if (body !== undefined) raw.push('content-length', String(body.length));
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: raw, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Error types that mean "our or IONOS's failure": input must never cause them. */
const SERVER_ERROR_TYPES = ['server_error', 'upstream_error', 'timeout_error', 'service_unavailable'];

/** The property every answer has. */
async function answersWell(sent: Sent): Promise<void> {
  const res = await send(sent);
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const where = `${sent.method} ${sent.path} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  if (sent.method === 'HEAD') return; // no body to check
  if (res.status >= 400) {
    expect(res.type, where).toMatch(/^application\/json/);
    const { error } = JSON.parse(res.text) as { error: { message: unknown; type: unknown } };
    expect(typeof error.message === 'string' && error.message.length > 0, where).toBe(true);
    expect(typeof error.type, where).toBe('string');
  } else if (res.type.startsWith('text/event-stream') && res.text.startsWith('event: metadata')) {
    // The LangGraph API's stream: an error event must be of a client-error type, and the stream whole.
    const error = /^event: error\ndata: (\{.*)$/m.exec(res.text)?.[1];
    if (error !== undefined) expect(SERVER_ERROR_TYPES, where).not.toContain((JSON.parse(error) as { type?: string }).type);
    else expect(res.text, where).toMatch(/event: values\ndata: .*\n\n$/);
  } else if (res.type.startsWith('text/event-stream')) {
    // A stream answers 200 before the model is asked, so a rejected request arrives as an error event;
    // that event must be of a client-error type, never an upstream or server failure.
    const error = /^data: (\{"error".*)$/m.exec(res.text)?.[1];
    if (error !== undefined) {
      const event = JSON.parse(error) as { type?: string; error: { type?: string } | string };
      const type = typeof event.error === 'string' ? event.type : event.error.type;
      expect(SERVER_ERROR_TYPES, where).not.toContain(type);
    } else {
      expect(res.text, where).toMatch(/data: \[DONE\]\n\n$/); // a whole stream
    }
  } else if (res.status !== 204) {
    expect(res.type, where).toMatch(/^application\/json/);
    expect(() => JSON.parse(res.text), where).not.toThrow();
  }
}

// ---- arbitraries ---------------------------------------------------------------------------------
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const oddText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  printable,
  fc.constant(''),
  fc.constant('x'.repeat(100_000)),
);
const validModel = fc.constantFrom(...HUB_MODELS.map((m) => m.id), STUDIO_UUID);
const modelId = fc.oneof(
  { arbitrary: validModel, weight: 4 },
  printable,
  fc.uuid(),
  fc.constant('../../etc/passwd'),
  fc.constant('a'.repeat(5_000)),
  fc.constant('meta-llama/../x'),
);
const deep = fc
  .integer({ min: 1, max: 20_000 })
  .chain((n) => fc.constantFrom(`${'['.repeat(n)}${']'.repeat(n)}`, `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`));
const agentMessage = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('human'), content: oddText }), weight: 3 },
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('human', 'ai', 'tool', 'system'), fc.string()),
      content: fc.oneof(oddText, fc.anything()),
      tool_call_id: fc.string(),
      tool_calls: fc.anything(),
    },
    { requiredKeys: [] },
  ),
);
const chatMessage = fc.oneof(
  { arbitrary: fc.record({ role: fc.constant('user'), content: oddText }), weight: 3 },
  fc.record(
    { role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'tool'), fc.string()), content: fc.oneof(oddText, fc.anything()) },
    { requiredKeys: [] },
  ),
);
// Leading system messages in bulk: they must not bypass AGENT_MAX_MESSAGES.
const systemFlood = fc
  .tuple(fc.integer({ min: 1, max: 3_000 }), fc.integer({ min: 0, max: 100 }))
  .map(([system, human]) => [
    ...Array.from({ length: system }, () => ({ type: 'system', content: 's' })),
    ...Array.from({ length: human }, () => ({ type: 'human', content: 'h' })),
  ]);
const agentBody = fc.record(
  {
    messages: fc.oneof({ arbitrary: fc.array(agentMessage, { minLength: 1, maxLength: 5 }), weight: 4 }, systemFlood, fc.anything()),
    stream: fc.anything(),
  },
  { requiredKeys: ['messages'] },
);
// What one request may ask to generate: within, at and far beyond the limits, and of the wrong type.
const generation = fc.oneof(fc.integer({ min: -5, max: 200 }), fc.constantFrom(16_384, 16_385, 10_000_000, 1.5, '100'), fc.anything());
const chatBody = fc.record(
  {
    model: fc.oneof({ arbitrary: validModel, weight: 4 }, fc.anything()),
    messages: fc.oneof({ arbitrary: fc.array(chatMessage, { minLength: 1, maxLength: 4 }), weight: 4 }, fc.anything()),
    stream: fc.oneof(fc.boolean(), fc.anything()),
    max_tokens: generation,
    max_completion_tokens: generation,
    n: generation,
    best_of: generation,
    input: fc.anything(),
    prompt: fc.anything(),
  },
  { requiredKeys: [] },
);
/** Bytes of a body: structured, random JSON, mutated JSON, deep nesting, invalid UTF-8, or nothing. */
const responsesItem = fc.oneof(
  fc.record({ role: fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool', 'x'), content: fc.oneof(oddText, fc.anything()) }),
  fc.record({
    role: fc.constant('user'),
    content: fc.array(
      fc.oneof(
        fc.record({ type: fc.constantFrom('input_text', 'output_text', 'input_image', 'input_file', 'x'), text: oddText }),
        fc.record({ type: fc.constant('input_image'), image_url: fc.oneof(oddText, fc.anything()) }),
      ),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    type: fc.constant('function_call'),
    call_id: fc.oneof(oddText, fc.anything()),
    name: oddText,
    arguments: fc.oneof(oddText, fc.anything()),
  }),
  fc.record({
    type: fc.constantFrom('function_call_output', 'custom_tool_call_output'),
    call_id: oddText,
    output: fc.oneof(oddText, fc.anything()),
  }),
  fc.record({
    type: fc.constantFrom('function_call', 'custom_tool_call'),
    call_id: oddText,
    name: oddText,
    namespace: fc.oneof(oddText, fc.anything()),
    input: fc.oneof(oddText, fc.anything()),
    arguments: oddText,
  }),
  fc.record({
    type: fc.constantFrom('reasoning', 'web_search_call', 'item_reference'),
    summary: fc.anything(),
    encrypted_content: fc.anything(),
  }),
  fc.anything(),
);
const responsesBody = fc.record(
  {
    model: fc.oneof({ arbitrary: validModel, weight: 4 }, fc.anything()),
    input: fc.oneof(
      { arbitrary: oddText, weight: 2 },
      { arbitrary: fc.array(responsesItem, { minLength: 1, maxLength: 4 }), weight: 3 },
      fc.anything(),
    ),
    instructions: fc.oneof(oddText, fc.anything()),
    stream: fc.oneof(fc.boolean(), fc.anything()),
    max_output_tokens: generation,
    tools: fc.oneof(
      fc.array(
        fc.oneof(
          fc.record({
            type: fc.constantFrom('function', 'custom', 'web_search', 'web_search_preview', 'file_search', 'mcp', 'x'),
            name: oddText,
            parameters: fc.anything(),
            format: fc.oneof(fc.record({ type: fc.constant('grammar'), syntax: oddText, definition: oddText }), fc.anything()),
            external_web_access: fc.anything(),
          }),
          fc.record({
            type: fc.constant('namespace'),
            name: oddText,
            tools: fc.oneof(
              fc.array(fc.record({ type: fc.constantFrom('function', 'custom', 'x'), name: oddText, parameters: fc.anything() }), {
                maxLength: 3,
              }),
              fc.anything(),
            ),
          }),
        ),
        { maxLength: 3 },
      ),
      fc.anything(),
    ),
    include: fc.oneof(
      fc.array(
        fc.oneof(fc.constantFrom('reasoning.encrypted_content', 'message.output_text.logprobs', 'web_search_call.action.sources'), oddText),
      ),
      fc.anything(),
    ),
    reasoning: fc.oneof(
      fc.record({ effort: fc.oneof(fc.constantFrom('low', 'high'), fc.anything()), summary: fc.anything() }),
      fc.anything(),
    ),
    max_tool_calls: fc.anything(),
    top_logprobs: fc.anything(),
    truncation: fc.anything(),
    client_metadata: fc.anything(),
    prompt_cache_key: fc.anything(),
    tool_choice: fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.anything()),
    text: fc.oneof(
      fc.record({
        format: fc.record({ type: fc.constantFrom('text', 'json_object', 'json_schema', 'x'), name: oddText, schema: fc.anything() }),
      }),
      fc.anything(),
    ),
    background: fc.anything(),
    previous_response_id: fc.anything(),
  },
  { requiredKeys: [] },
);

const bodyOf = (structured: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: structured.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')), weight: 6 },
    fc.json().map((t) => Buffer.from(t)),
    // A top-level key twice (the first value is the one other parsers keep).
    structured.map((v) => JSON.stringify(v) ?? '').map((t) => Buffer.from(t.startsWith('{"') ? `{"model":"evil/model",${t.slice(1)}` : t)),
    fc
      .tuple(
        structured.map((v) => JSON.stringify(v) ?? ''),
        fc.nat(),
        fc.string({ maxLength: 3 }),
      )
      .map(([t, at, s]) => Buffer.from(t.slice(0, at % (t.length + 1)) + s + t.slice(at % (t.length + 1)))),
    deep.map((t) => Buffer.from(t)),
    fc
      .uint8Array({ maxLength: 200 })
      .map((b) => Buffer.concat([Buffer.from('{"messages":"'), Buffer.from(b), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')])),
    fc.constant(Buffer.alloc(0)),
  );
const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 4 },
  fc.constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=iso-8859-1',
    'application/octet-stream',
    '',
  ),
);
const extraHeaders = fc.array(
  fc.tuple(
    fc.constantFrom(
      'x-model-id',
      'content-type',
      'accept',
      'origin',
      'x-api-key',
      'authorization',
      'cookie',
      'x-forwarded-for',
      'openai-organization',
      'X-Model-ID',
      'accept-encoding',
    ),
    printable,
  ),
  { maxLength: 4 },
);
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?stream=true', '?stream=1', '?stream=yes&stream=true', '?a=%ZZ', '?stream', '?&&=&', `?x=${'y'.repeat(5_000)}`),
  printable.map((s) => `?${encodeURIComponent(s)}`),
);

const check = (property: fc.IAsyncProperty<[Sent]> | fc.IAsyncPropertyWithHooks<[Sent]>) =>
  fc.assert(property, { numRuns: RUNS, seed: SEED, endOnFailure: true });

describe(`fuzzing every route (seed ${SEED})`, () => {
  it('POST / (agent): bodies, content types, x-model-id values, query strings, odd headers', async () => {
    await check(
      fc.asyncProperty(
        fc
          .record({
            body: bodyOf(agentBody),
            type: contentType,
            model: fc.option(modelId, { nil: undefined }),
            dup: fc.option(modelId, { nil: undefined }),
            query,
            extra: extraHeaders,
          })
          .map(({ body, type, model, dup, query: q, extra }): Sent => ({
            method: 'POST',
            path: `/${q}`,
            body,
            headers: [
              ['content-type', type],
              ...(model === undefined ? [] : [['x-model-id', model] as [string, string]]),
              ...(dup === undefined ? [] : [['x-model-id', dup] as [string, string]]),
              ...extra,
            ],
          })),
        answersWell,
      ),
    );
  });

  it('/v1/* proxy: endpoints, methods, bodies, content types and headers', async () => {
    const path = fc.oneof(
      fc.constantFrom(
        '/v1/chat/completions',
        '/v1/completions',
        '/v1/embeddings',
        '/v1/images/generations',
        '/v1/images/edits',
        '/v1/rerank',
        '/v1/models',
      ),
      printable.map((s) => `/v1/${s.replace(/[\s#]/g, '')}`),
    );
    await check(
      fc.asyncProperty(
        fc
          .record({
            method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'),
            path,
            body: bodyOf(chatBody),
            type: contentType,
            query,
            extra: extraHeaders,
          })
          .map(({ method, path: p, body, type, query: q, extra }): Sent => ({
            method,
            path: `${p}${q}`,
            body: method === 'GET' || method === 'HEAD' ? undefined : body,
            headers: [['content-type', type], ...extra],
          })),
        answersWell,
      ),
    );
  });

  it('/v1/responses and /v1/responses/{id}: input items, tools, formats, unsupported features, ids, content types and headers', async () => {
    await check(
      fc.asyncProperty(
        fc
          .record({
            method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE'),
            // The collection, or one stored response by id (well-formed, random, or hostile).
            id: fc.oneof(
              fc.constant(''),
              fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 48, maxLength: 48 }).map((h) => `/resp_${h}`),
              printable.map((t) => `/${encodeURIComponent(t)}`),
              fc.constantFrom('/..%2F..%2Fetc', '/resp_%00', `/${'r'.repeat(3000)}`),
            ),
            body: bodyOf(responsesBody),
            type: contentType,
            query,
            extra: extraHeaders,
          })
          .map(({ method, id, body, type, query: q, extra }): Sent => ({
            method,
            path: `/v1/responses${id}${q}`,
            body: method === 'GET' || method === 'DELETE' ? undefined : body,
            headers: [['content-type', type], ...extra],
          })),
        answersWell,
      ),
    );
  });

  it('deep nesting anywhere in a JSON body: at most 64 levels, else a 400 json_too_deep before IONOS is asked', async () => {
    const nested = (depth: number, leaf: 'array' | 'object') => {
      let text = '1';
      for (let i = 0; i < depth; i++) text = leaf === 'array' ? `[${text}]` : `{"a":${text}}`;
      return text;
    };
    const places: Record<string, (v: string) => { path: string; body: string; headers?: [string, string][] }> = {
      'responses metadata': (v) => ({ path: '/v1/responses', body: `{"model":"${HUB_MODELS[1]?.id}","input":"hi","metadata":{"k":${v}}}` }),
      'responses tool parameters': (v) => ({
        path: '/v1/responses',
        body: `{"model":"${HUB_MODELS[1]?.id}","input":"hi","tools":[{"type":"function","name":"f","parameters":${v}}]}`,
      }),
      'responses text format schema': (v) => ({
        path: '/v1/responses',
        body: `{"model":"${HUB_MODELS[1]?.id}","input":"hi","text":{"format":{"type":"json_schema","name":"s","schema":${v}}}}`,
      }),
      'chat completions': (v) => ({ path: '/v1/chat/completions', body: `{"model":"${HUB_MODELS[1]?.id}","messages":[],"x":${v}}` }),
      agent: (v) => ({
        path: '/',
        body: `{"messages":[{"type":"human","content":"hi"}],"x":${v}}`,
        headers: [['x-model-id', String(HUB_MODELS[1]?.id)]],
      }),
    };
    await check(
      fc.asyncProperty(
        fc
          .record({
            place: fc.constantFrom(...Object.keys(places)),
            depth: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 70, max: 6_000 })),
            leaf: fc.constantFrom('array' as const, 'object' as const),
          })
          .map(({ place, depth, leaf }): Sent & { depth: number } => {
            const {
              path,
              body,
              headers = [],
            } = (places[place] as (v: string) => { path: string; body: string; headers?: [string, string][] })(nested(depth, leaf));
            return { method: 'POST', path, body: Buffer.from(body), headers: [['content-type', 'application/json'], ...headers], depth };
          }),
        async (sent) => {
          const seen = stack.sim.control.requests.length;
          await answersWell(sent);
          // The body's own depth is the nesting plus its containers (2 to 6 levels): far past the limit, refused unsent.
          if (sent.depth > 70) {
            const res = await send(sent);
            expect(res.status).toBe(400);
            expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'json_too_deep' } });
            expect(stack.sim.control.requests.length).toBe(seen);
          }
        },
      ),
    );
  });

  it('repeated multipart fields on /v1/images/edits: a 400 naming the field, never forwarded', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 1)]);
    await check(
      fc.asyncProperty(
        fc
          .record({
            field: fc.constantFrom('model', 'n', 'prompt', 'size', 'response_format'),
            values: fc.array(fc.oneof(printable, fc.constantFrom('1', '64', 'black-forest-labs/FLUX.1-schnell')), {
              minLength: 2,
              maxLength: 4,
            }),
          })
          .map(({ field, values }): Sent & { field: string } => {
            const boundary = 'fuzzboundary7MA4YWxk';
            const part = (name: string, value: string) =>
              `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
            const fields = { model: 'black-forest-labs/FLUX.1-schnell', prompt: 'a hat', n: '1' } as Record<string, string>;
            delete fields[field];
            const text =
              Object.entries(fields)
                .map(([k, v]) => part(k, v))
                .join('') + values.map((v) => part(field, v)).join('');
            const body = Buffer.concat([
              Buffer.from(text),
              Buffer.from(
                `--${boundary}\r\ncontent-disposition: form-data; name="image"; filename="a.png"\r\ncontent-type: image/png\r\n\r\n`,
              ),
              png,
              Buffer.from(`\r\n--${boundary}--\r\n`),
            ]);
            return {
              method: 'POST',
              path: '/v1/images/edits',
              body,
              headers: [['content-type', `multipart/form-data; boundary=${boundary}`]],
              field,
            };
          }),
        async (sent) => {
          const seen = stack.sim.control.requests.length;
          const res = await send(sent);
          expect(res.status).toBe(400);
          expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'duplicate_field', param: sent.field } });
          expect(stack.sim.control.requests.length).toBe(seen);
        },
      ),
    );
  });

  it('the LangGraph API: thread and run routes, ids, run bodies, message shapes and content blocks', async () => {
    const THREAD = '4d3c2b1a-0000-4000-8000-00000000f022';
    await send({
      method: 'POST',
      path: '/threads',
      headers: [['content-type', 'application/json']],
      body: Buffer.from(JSON.stringify({ thread_id: THREAD })),
    });
    const id = fc.oneof(
      { arbitrary: fc.constant(THREAD), weight: 3 },
      fc.uuid(),
      printable.map((x) => encodeURIComponent(x)),
      fc.constant('%00'),
    );
    const path = fc.oneof(
      fc.constantFrom(
        '/threads',
        '/threads/search',
        '/runs/wait',
        '/runs/stream',
        '/assistants/search',
        '/assistants/agent',
        '/info',
        '/ok',
        '/runs',
        '/store/items',
      ),
      id.map((t) => `/threads/${t}`),
      id.map((t) => `/threads/${t}/state`),
      id.map((t) => `/threads/${t}/history`),
      id.map((t) => `/threads/${t}/runs/wait`),
      id.map((t) => `/threads/${t}/runs/stream`),
      id.chain((t) => id.map((c) => `/threads/${t}/state/${c}`)),
    );
    const block = fc.oneof(
      fc.record({ type: fc.constant('text'), text: oddText }),
      fc.record({
        type: fc.constant('image'),
        mimeType: fc.oneof(fc.constant('image/png'), oddText),
        data: fc.oneof(fc.constant('iVBORw0KGgo='), oddText),
      }),
      fc.record({
        type: fc.constant('file'),
        mime_type: fc.oneof(fc.constant('text/plain'), fc.constant('application/pdf'), oddText),
        data: fc.oneof(fc.constant('aGVsbG8='), oddText),
        source_type: fc.anything(),
      }),
      fc.record({ type: fc.constant('image_url'), image_url: fc.anything() }),
      fc.anything(),
    );
    const message = fc.record(
      {
        type: fc.oneof(fc.constantFrom('human', 'ai', 'tool', 'system', 'user'), oddText),
        role: fc.anything(),
        content: fc.oneof(oddText, fc.array(block, { maxLength: 3 }), fc.anything()),
        id: fc.anything(),
        tool_calls: fc.anything(),
        tool_call_id: fc.anything(),
      },
      { requiredKeys: ['content'] },
    );
    const runBody = fc.record(
      {
        assistant_id: fc.oneof(fc.constant('agent'), oddText),
        input: fc.oneof(fc.record({ messages: fc.oneof(fc.array(message, { maxLength: 3 }), fc.anything()) }), fc.anything()),
        stream_mode: fc.oneof(
          fc.constantFrom('values', 'messages-tuple', 'updates', 'custom', 'debug'),
          fc.array(oddText, { maxLength: 3 }),
          fc.anything(),
        ),
        context: fc.oneof(fc.record({ model: fc.oneof(validModel, modelId) }), fc.anything()),
        config: fc.anything(),
        checkpoint: fc.anything(),
        checkpoint_id: fc.anything(),
        command: fc.anything(),
        multitask_strategy: fc.anything(),
        on_disconnect: fc.anything(),
        if_not_exists: fc.anything(),
        metadata: fc.anything(),
        limit: fc.anything(),
        offset: fc.anything(),
        sort_by: fc.anything(),
        ids: fc.anything(),
        before: fc.anything(),
        thread_id: fc.anything(),
        if_exists: fc.anything(),
      },
      { requiredKeys: [] },
    );
    await check(
      fc.asyncProperty(
        fc
          .record({ method: fc.constantFrom('GET', 'POST', 'DELETE'), path, body: bodyOf(runBody), type: contentType, extra: extraHeaders })
          .map(({ method, path: p, body, type, extra }): Sent => ({
            method,
            path: p,
            body: method === 'GET' ? undefined : body,
            headers: [['content-type', type], ...extra],
          })),
        answersWell,
      ),
    );
  });

  it('GET /studio/models and the legacy /models routes', async () => {
    const path = fc.oneof(
      fc.constantFrom('/studio/models', '/models'),
      modelId.map((m) => `/models/${m.replace(/[\s#?]/g, '')}/predictions`),
      modelId.map((m) => `/models/${encodeURIComponent(m)}/predictions`),
    );
    await check(
      fc.asyncProperty(
        fc
          .record({
            method: fc.constantFrom('GET', 'POST', 'DELETE'),
            path,
            body: bodyOf(
              fc.record(
                { properties: fc.record({ input: fc.anything(), options: fc.anything() }, { requiredKeys: [] }) },
                { requiredKeys: [] },
              ),
            ),
            type: contentType,
            query,
            extra: extraHeaders,
          })
          .map(({ method, path: p, body, type, query: q, extra }): Sent => ({
            method,
            path: `${p}${q}`,
            body: method === 'GET' ? undefined : body,
            headers: [['content-type', type], ...extra],
          })),
        answersWell,
      ),
    );
  });

  it('odd request targets: traversal, encodings, double slashes, absolute URLs, unknown paths', async () => {
    const target = fc.oneof(
      fc.constantFrom(
        '/v1/../studio/models',
        '/v1/%2e%2e/x',
        '/v1/chat%2Fcompletions',
        '/v1/images%2Fgenerations',
        '//v1/models',
        '/v1//models',
        'http://evil.example/v1/models',
        '/%00',
        '/v1/models%00',
        '/studio/models/..',
        '/v1/chat/completions/',
        '/\u00e9',
        '/v1/%ZZ',
        '*',
      ),
      printable.map((s) => `/${s.replace(/[\s#]/g, '')}`),
      fc.webPath(),
    );
    await check(
      fc.asyncProperty(
        fc
          .record({ method: fc.constantFrom('GET', 'POST', 'OPTIONS', 'PUT'), target, body: bodyOf(chatBody) })
          .map(({ method, target: t, body }): Sent => ({
            method,
            path: t,
            body: method === 'POST' ? body : undefined,
            headers: [['content-type', 'application/json']],
          })),
        answersWell,
      ),
    );
  });
});
