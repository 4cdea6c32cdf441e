/**
 * The simulated Hub's OpenAI-compatible endpoints as pure functions: request body in, a JSON answer or a
 * list of SSE events out. Answers are deterministic so tests can assert them; scripted replies override.
 */
import { createHash, randomBytes } from 'node:crypto';
import { countTokens, HUB_MODELS, MODEL_CREATED, type SimModel } from './catalogue.ts';
import type { ScriptedReply, SimulatorControl } from './control.ts';
import { checkRequest } from './validation.ts';

/** A simulator answer: JSON with a status, or (status 200) a stream of SSE events ending in `[DONE]`. */
export type SimAnswer = JsonAnswer | { status: 200; events: unknown[] };

/** A JSON answer with its status. */
export interface JsonAnswer {
  status: number;
  json: unknown;
}

/** An error in IONOS's native format. */
export function ionosError(status: number, message: string, errorCode = `sim-${status}`): JsonAnswer {
  return { status, json: { httpStatus: status, messages: [{ errorCode, message }] } };
}

const IMAGE_SIZES = new Set(['1024*1024', '1792*1024', '1024*1792']);
// A valid 1×1 PNG: enough for clients to decode; real image bytes are beside the point here.
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

type Body = Record<string, unknown>;

function findModel(body: Body, kind: SimModel['kind']): SimModel | SimAnswer {
  const model = HUB_MODELS.find((m) => m.id === body.model);
  if (model === undefined) return ionosError(404, `Model '${String(body.model)}' not found. See GET /v1/models.`, 'model-not-found');
  if (model.kind !== kind)
    return ionosError(400, `Model '${model.id}' is a ${model.kind} model and cannot serve this endpoint.`, 'model-kind');
  return model;
}

const isAnswer = (v: SimModel | SimAnswer): v is SimAnswer => 'status' in v;
const newId = (prefix: string) => `${prefix}-${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

function lastUserText(messages: unknown): string {
  const list = Array.isArray(messages) ? (messages as Body[]) : [];
  const last = [...list].reverse().find((m) => m?.role === 'user');
  const content = last?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: Body) => (typeof p?.text === 'string' ? p.text : '')).join(' ');
  return '';
}

/** The default reply: a forced tool call when `tool_choice` demands one, otherwise a text echo. */
function defaultReply(body: Body, model: SimModel): ScriptedReply {
  const tools = Array.isArray(body.tools) ? (body.tools as { function: { name: string; parameters?: { properties?: Body } } }[]) : [];
  const choice = body.tool_choice as string | { function?: { name?: string } } | undefined;
  const forced =
    typeof choice === 'object'
      ? tools.find((t) => t.function.name === choice.function?.name)
      : choice === 'required'
        ? tools[0]
        : undefined;
  const text = lastUserText(body.messages).slice(0, 200);
  if (forced !== undefined) {
    // Fill every string parameter with the user's words: enough for a tool to run deterministically.
    const args = Object.fromEntries(Object.keys(forced.function.parameters?.properties ?? {}).map((k) => [k, text]));
    return { toolCalls: [{ name: forced.function.name, arguments: args }] };
  }
  return { content: `Simulated answer from ${model.id}: you said "${text}".` };
}

/** `POST /v1/chat/completions`. */
export function chatCompletions(body: Body, control: SimulatorControl): SimAnswer {
  const invalid = checkRequest('ChatCompletionRequest', body);
  if (invalid !== undefined) return ionosError(400, `Invalid request: ${invalid}`, 'validation');
  const model = findModel(body, 'chat');
  if (isAnswer(model)) return model;
  if (Array.isArray(body.tools) && body.tools.length > 0 && !model.tools) {
    return ionosError(400, `Model '${model.id}' does not support tools. Send the request without "tools".`, 'tools-unsupported');
  }
  const reply = control.chatReplies.shift() ?? defaultReply(body, model);
  const toolCalls = (reply.toolCalls ?? []).map((t, i) => ({
    id: t.id ?? `call_${randomBytes(6).toString('hex')}${i}`,
    type: 'function' as const,
    function: { name: t.name, arguments: typeof t.arguments === 'string' ? t.arguments : JSON.stringify(t.arguments) },
  }));
  const content = reply.content ?? '';
  // A reasoning model thinks first: its reasoning comes as `reasoning_content`, counted as reasoning tokens.
  const reasoning =
    reply.reasoning ?? (model.reasoning === true ? `The user wrote "${lastUserText(body.messages).slice(0, 80)}"; answer it.` : '');
  const finish = reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  const prompt = reply.usage?.prompt_tokens ?? countTokens(JSON.stringify(body.messages));
  const reasoningTokens = countTokens(reasoning);
  const completion =
    reply.usage?.completion_tokens ?? countTokens(content + toolCalls.map((t) => t.function.arguments).join('')) + reasoningTokens;
  const usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(reasoning === '' ? {} : { completion_tokens_details: { reasoning_tokens: reasoningTokens } }),
  };
  const n = typeof body.n === 'number' && body.n > 1 ? Math.min(body.n, 8) : 1;
  const base = { id: newId('chatcmpl'), created: now(), model: model.id, system_fingerprint: 'fp_ionos_simulator' };

  if (body.stream !== true) {
    const message = {
      role: 'assistant',
      content,
      ...(reasoning === '' ? {} : { reasoning_content: reasoning }),
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    };
    const choices = Array.from({ length: n }, (_, index) => ({ index, message, finish_reason: finish, logprobs: null }));
    return { status: 200, json: { ...base, object: 'chat.completion', choices, usage } };
  }
  const chunk = (choices: unknown[], extra: Body = {}) => ({ ...base, object: 'chat.completion.chunk', choices, ...extra });
  const events: unknown[] = [];
  for (let index = 0; index < n; index++) {
    events.push(chunk([{ index, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
    for (const piece of reasoning.match(/\S+\s*|\s+/g) ?? [])
      events.push(chunk([{ index, delta: { reasoning_content: piece }, finish_reason: null }]));
    for (const piece of content.match(/\S+\s*|\s+/g) ?? []) events.push(chunk([{ index, delta: { content: piece }, finish_reason: null }]));
    toolCalls.forEach((t, i) => {
      const half = Math.ceil(t.function.arguments.length / 2);
      events.push(
        chunk([
          {
            index,
            delta: {
              tool_calls: [
                {
                  index: i,
                  id: t.id,
                  type: 'function',
                  function: { name: t.function.name, arguments: t.function.arguments.slice(0, half) },
                },
              ],
            },
            finish_reason: null,
          },
        ]),
      );
      events.push(
        chunk([
          { index, delta: { tool_calls: [{ index: i, function: { arguments: t.function.arguments.slice(half) } }] }, finish_reason: null },
        ]),
      );
    });
    events.push(chunk([{ index, delta: {}, finish_reason: finish }]));
  }
  if ((body.stream_options as Body | undefined)?.include_usage === true) events.push(chunk([], { usage }));
  return { status: 200, events };
}

/** `POST /v1/completions`. */
export function completions(body: Body): SimAnswer {
  const invalid = checkRequest('CompletionRequest', body);
  if (invalid !== undefined) return ionosError(400, `Invalid request: ${invalid}`, 'validation');
  const model = findModel(body, 'chat');
  if (isAnswer(model)) return model;
  const text = ` Simulated completion from ${model.id}.`;
  const prompt = countTokens(String(body.prompt));
  const usage = { prompt_tokens: prompt, completion_tokens: countTokens(text), total_tokens: prompt + countTokens(text) };
  const base = { id: newId('cmpl'), object: 'text_completion', created: now(), model: model.id };
  if (body.stream !== true)
    return { status: 200, json: { ...base, choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }], usage } };
  const pieces = text.match(/\S+\s*|\s+/g) ?? [];
  return {
    status: 200,
    events: [
      ...pieces.map((piece) => ({ ...base, choices: [{ index: 0, text: piece, finish_reason: null }] })),
      { ...base, choices: [{ index: 0, text: '', finish_reason: 'stop' }], usage },
    ],
  };
}

/** `POST /v1/embeddings`: a deterministic unit vector per input. */
export function embeddings(body: Body): SimAnswer {
  const invalid = checkRequest('EmbeddingRequest', body);
  if (invalid !== undefined) return ionosError(400, `Invalid request: ${invalid}`, 'validation');
  if (body.input === undefined) return ionosError(400, 'Invalid request: "input" is required.', 'validation');
  const model = findModel(body, 'embedding');
  if (isAnswer(model)) return model;
  const inputs = Array.isArray(body.input) ? (body.input as string[]) : [body.input as string];
  // OpenAI SDKs ask for base64 (little-endian float32) by default; OpenAI-compatible servers honour it.
  const encode = (v: number[]) => (body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v);
  const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: encode(vectorFor(text, model.dimensions ?? 16)) }));
  const tokens = inputs.reduce((sum, t) => sum + countTokens(t), 0);
  return { status: 200, json: { object: 'list', model: model.id, data, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
}

function vectorFor(text: string, dimensions: number): number[] {
  let seed = createHash('sha256').update(text).digest().readUInt32LE(0);
  const values = Array.from({ length: dimensions }, () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    return seed / 0xffffffff - 0.5;
  });
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => Number((v / norm).toFixed(6)));
}

/**
 * `POST /v1/rerank`: documents scored against the query (here: the share of the query's words a document
 * holds, deterministic), best first, `top_n` of them, with their text when `return_documents` is set.
 */
export function rerank(body: Body): SimAnswer {
  if (typeof body.query !== 'string' || body.query === '')
    return ionosError(400, 'Invalid request: "query" must be a non-empty string.', 'validation');
  if (!Array.isArray(body.documents) || body.documents.length === 0 || !body.documents.every((d) => typeof d === 'string')) {
    return ionosError(400, 'Invalid request: "documents" must be a non-empty list of strings.', 'validation');
  }
  if (body.top_n !== undefined && (!Number.isInteger(body.top_n) || (body.top_n as number) < 1)) {
    return ionosError(400, 'Invalid request: "top_n" must be a positive integer.', 'validation');
  }
  const model = findModel(body, 'rerank');
  if (isAnswer(model)) return model;
  const words = (t: string) => new Set(t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
  const query = words(body.query);
  const documents = body.documents as string[];
  const results = documents
    .map((text, index) => {
      const doc = words(text);
      const shared = [...query].filter((w) => doc.has(w)).length;
      const relevance_score = Number((query.size === 0 ? 0 : shared / query.size).toFixed(6));
      return { index, relevance_score, ...(body.return_documents === true ? { document: { text } } : {}) };
    })
    .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
    .slice(0, (body.top_n as number | undefined) ?? documents.length);
  const tokens = countTokens(body.query) + documents.reduce((sum, d) => sum + countTokens(d), 0);
  return { status: 200, json: { id: newId('rerank'), model: model.id, results, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
}

/** `POST /v1/images/generations`: `b64_json` images. */
export function imageGenerations(body: Body): SimAnswer {
  const invalid = checkRequest('ImageGenerationRequest', body);
  if (invalid !== undefined) return ionosError(400, `Invalid request: ${invalid}`, 'validation');
  const model = findModel(body, 'image');
  if (isAnswer(model)) return model;
  if (body.size !== undefined && !IMAGE_SIZES.has(String(body.size))) {
    return ionosError(400, `Invalid size '${String(body.size)}': use 1024*1024, 1792*1024 or 1024*1792.`, 'validation');
  }
  const n = typeof body.n === 'number' && body.n > 0 ? Math.min(body.n, 4) : 1;
  return { status: 200, json: { created: now(), data: Array.from({ length: n }, () => ({ b64_json: PNG_1X1 })) } };
}

/** `POST /v1/images/edits` (multipart): an image file and a prompt; `b64_json` images. */
export function imageEdits(body: Body): SimAnswer {
  const image = body.image as { filename?: string; bytes?: number } | undefined;
  if (typeof image !== 'object' || image === null || !image.bytes)
    return ionosError(400, 'Invalid request: "image" must be a non-empty file.', 'validation');
  if (typeof body.prompt !== 'string' || body.prompt === '') return ionosError(400, 'Invalid request: "prompt" is required.', 'validation');
  const model = findModel(body, 'image');
  if (isAnswer(model)) return model;
  const n = typeof body.n === 'string' && /^\d+$/.test(body.n) ? Math.min(Math.max(Number(body.n), 1), 4) : 1;
  return { status: 200, json: { created: now(), data: Array.from({ length: n }, () => ({ b64_json: PNG_1X1 })) } };
}

/** `GET /v1/models`. */
export function listModels(): SimAnswer {
  return {
    status: 200,
    json: { object: 'list', data: HUB_MODELS.map((m) => ({ id: m.id, object: 'model', created: MODEL_CREATED, owned_by: m.owned_by })) },
  };
}
