/**
 * The IONOS simulator: a loopback HTTP server that answers like the AI Model Hub (OpenAI-compatible paths)
 * and AI Model Studio (job API under `/studio/api/v1`), with Tavily search under `/tavily` for the agent's
 * web_search. It checks bearer tokens, enforces the contract rate limit, and takes faults and scripted
 * replies from tests (JS API, or HTTP under `/__sim/`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { SimulatorControl, type SeenRequest } from './control.ts';
import {
  chatCompletions,
  completions,
  embeddings,
  imageEdits,
  imageGenerations,
  ionosError,
  listModels,
  rerank,
  type SimAnswer,
} from './hub.ts';
import { RateLimiter, type RateLimit } from './rate-limiter.ts';
import { StudioJobs } from './studio.ts';
import { tavilySearch } from './tavily.ts';
import { writeAnswer, writeEvents, writeFaultStatus } from './respond.ts';
import { handleControl } from './control-api.ts';
import { readRequestBody } from '#infra/offline/api-gateway/read-body.ts';
import { isBinaryMediaType, readMultipart } from '#shared/http/multipart.ts';

/** Simulator settings; everything has a default. */
export interface SimulatorOptions {
  port?: number;
  host?: string;
  hubToken?: string;
  studioApiKey?: string;
  studioOrgId?: string;
  tavilyApiKey?: string;
  /** IONOS's default contract limit unless given; `{ rps: 0 }` is fast mode (no limit). */
  rateLimit?: RateLimit;
}

/** A running simulator. */
export interface Simulator {
  url: string;
  hubBaseUrl: string;
  studioBaseUrl: string;
  control: SimulatorControl;
  limiter: RateLimiter;
  /** Bearer tokens the Hub accepts; replace to simulate a rotation. */
  hubTokens: Set<string>;
  studioApiKey: string;
  studioOrgId: string;
  /** Base URL of the simulated Tavily search API. */
  tavilyBaseUrl: string;
  tavilyApiKey: string;
  close(): Promise<void>;
}

const STUDIO_PREFIX = '/studio/api/v1';
const TAVILY_PREFIX = '/tavily';
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_LOGGED = 1_000;
const UNAUTHORIZED = ionosError(401, 'Unauthorized: the bearer token is missing or not valid.', 'paas-auth-1');

const HUB_ROUTES: Record<string, { method: string; answer: (body: Record<string, unknown>, control: SimulatorControl) => SimAnswer }> = {
  '/v1/models': { method: 'GET', answer: () => listModels() },
  '/v1/chat/completions': { method: 'POST', answer: chatCompletions },
  '/v1/completions': { method: 'POST', answer: (body) => completions(body) },
  '/v1/embeddings': { method: 'POST', answer: (body) => embeddings(body) },
  '/v1/images/generations': { method: 'POST', answer: (body) => imageGenerations(body) },
  '/v1/rerank': { method: 'POST', answer: (body) => rerank(body) },
  '/v1/images/edits': { method: 'POST', answer: (body) => imageEdits(body) },
};

/** The fields and files of a multipart body, or the error that it is malformed. */
async function multipartFields(raw: Buffer, contentType: string | undefined): Promise<Record<string, unknown> | Error> {
  try {
    const { fields, files } = await readMultipart(raw, contentType);
    return { ...fields, ...Object.fromEntries(files.map((f) => [f.field.replace(/\[\]$/, ''), { filename: f.filename, bytes: f.bytes }])) };
  } catch (err) {
    return err as Error;
  }
}

/** Starts a simulator on loopback (an ephemeral port unless `port` is given). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const control = new SimulatorControl();
  const jobs = new StudioJobs(control);
  const sim = {
    control,
    limiter: new RateLimiter(options.rateLimit ?? { rps: 5, burst: 10 }),
    hubTokens: new Set([options.hubToken ?? 'sim-ionos-token']),
    studioApiKey: options.studioApiKey ?? 'sim-studio-key',
    studioOrgId: options.studioOrgId ?? 'sim-org',
    tavilyApiKey: options.tavilyApiKey ?? 'sim-tavily-key',
  };

  /** Auth, rate limit and dispatch for one request. */
  function route(
    req: IncomingMessage,
    path: string,
    body: string,
    multipart?: Record<string, unknown>,
  ): { answer: SimAnswer; headers: Record<string, string> } {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (path.startsWith(STUDIO_PREFIX)) {
      if (token !== sim.studioApiKey) return { answer: UNAUTHORIZED, headers: {} };
      return { answer: routeStudio(req.method ?? 'GET', path.slice(STUDIO_PREFIX.length), body), headers: {} };
    }
    if (path === `${TAVILY_PREFIX}/search`) {
      if (token !== sim.tavilyApiKey)
        return { answer: { status: 401, json: { detail: { error: 'Unauthorized: missing or invalid API key.' } } }, headers: {} };
      const parsed = parseJson(body);
      return { answer: 'answer' in parsed ? parsed.answer : tavilySearch(parsed.value), headers: {} };
    }
    const hub = HUB_ROUTES[path];
    if (hub === undefined) return { answer: ionosError(404, `No such endpoint: ${path}.`), headers: {} };
    if (token === undefined || !sim.hubTokens.has(token)) return { answer: UNAUTHORIZED, headers: {} };
    const decision = sim.limiter.take(token);
    if (!decision.allowed) {
      const json = {
        error: {
          message: 'Rate limit exceeded. Retry after the time in Retry-After.',
          type: 'requests',
          code: 'rate_limit_exceeded',
          param: null,
        },
      };
      return { answer: { status: 429, json }, headers: { ...decision.headers, 'retry-after': String(decision.retryAfterSeconds) } };
    }
    if (req.method !== hub.method)
      return { answer: ionosError(405, `Method ${req.method} not allowed on ${path}.`), headers: decision.headers };
    const parsed = hub.method === 'GET' ? { value: {} } : multipart !== undefined ? { value: multipart } : parseJson(body);
    return { answer: 'answer' in parsed ? parsed.answer : hub.answer(parsed.value, control), headers: decision.headers };
  }

  function routeStudio(method: string, path: string, body: string): SimAnswer {
    const m = /^\/organizations\/([^/]+)\/generate(?:\/([^/]+))?$/.exec(path);
    if (m === null || decodeURIComponent(m[1] as string) !== sim.studioOrgId) return ionosError(404, 'Not found.');
    if (m[2] !== undefined) return method === 'GET' ? jobs.poll(decodeURIComponent(m[2])) : ionosError(405, 'Method not allowed.');
    if (method !== 'POST') return ionosError(405, 'Method not allowed.');
    const parsed = parseJson(body);
    return 'answer' in parsed ? parsed.answer : jobs.create(parsed.value);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      // A simulator bug must be visible as such, not look like an injected connection reset.
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ httpStatus: 500, messages: [{ errorCode: 'sim-bug', message: String(err) }] }));
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    let raw: Buffer;
    try {
      raw = await readRequestBody(req, MAX_BODY_BYTES);
    } catch {
      return writeAnswer(res, ionosError(413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`), {});
    }
    const body = raw.toString('utf8');
    const binary = isBinaryMediaType(req.headers['content-type']);
    // A multipart body (image edits): its fields, and its files as `{ filename, bytes }` under their field.
    const multipart = binary ? await multipartFields(raw, req.headers['content-type']) : undefined;
    if (path.startsWith('/__sim/')) return handleControl(sim, req.method ?? 'GET', path, body, res);

    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path,
      headers: { ...req.headers },
      body,
      ...(binary ? { raw } : {}),
      clientClosedEarly: false,
    };
    control.requests.push(seen);
    if (control.requests.length > MAX_LOGGED) control.requests.shift();
    res.on('close', () => {
      if (!res.writableFinished) seen.clientClosedEarly = true;
    });

    const fault = control.takeFault(seen.method, path);
    if (fault?.latencyMs) await delay(fault.latencyMs);
    if (fault?.reset) return void req.socket.destroy();
    if (fault?.status !== undefined) return writeFaultStatus(res, fault);

    const routed =
      multipart instanceof Error
        ? { answer: ionosError(400, multipart.message, 'validation'), headers: {} }
        : route(req, path, body, multipart);
    const { answer } = routed;
    const headers = { ...routed.headers, ...fault?.headers };
    if ('events' in answer) return writeEvents(res, answer.events, headers, fault, control);
    if (fault?.cutStreamAfter !== undefined && answer.status === 200) {
      // A JSON answer cut mid-body: the promised length, half the bytes, then the connection drops.
      const text = JSON.stringify(answer.json);
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      await delay(10);
      return void res.destroy();
    }
    if (fault?.malformedJson && answer.status === 200) {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      return void res.end('{"id": "chatcmpl-broken", "choices": [');
    }
    writeAnswer(res, answer, headers, answer.status < 400 ? fault?.contentType : undefined);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    ...sim,
    url,
    hubBaseUrl: url,
    studioBaseUrl: `${url}${STUDIO_PREFIX}`,
    tavilyBaseUrl: `${url}${TAVILY_PREFIX}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseJson(body: string): { value: Record<string, unknown> } | { answer: SimAnswer } {
  try {
    const value = JSON.parse(body) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { value: value as Record<string, unknown> };
  } catch {
    // answered below
  }
  return { answer: ionosError(400, 'The request body must be a JSON object.', 'validation') };
}
