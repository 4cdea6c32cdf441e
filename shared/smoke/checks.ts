/**
 * The smoke checks, run every few minutes against the deployed API (functions/smoke-test) and on every
 * change against `npm start` (the `npm run smoke` CLI): each route answers, in the shape clients rely on.
 */

/** Where and how to check. */
export interface SmokeOptions {
  baseUrl: string;
  apiKey: string;
  /** A cheap Hub model for the agent checks. */
  model: string;
  timeoutMs: number;
}

/** One check's outcome. */
export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

type Check = (opts: SmokeOptions) => Promise<string>;

const PROMPT = { messages: [{ type: 'human', content: 'Reply with the single word: pong' }] };

async function call(opts: SmokeOptions, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = {
    authorization: `Bearer ${opts.apiKey}`,
    'content-type': 'application/json',
    ...(init.headers as Record<string, string>),
  };
  const res = await fetch(`${opts.baseUrl.replace(/\/+$/, '')}${path}`, { ...init, headers, signal: AbortSignal.timeout(opts.timeoutMs) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res;
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

const CHECKS: Record<string, Check> = {
  'GET /v1/models': async (opts) => {
    const body = (await (await call(opts, '/v1/models')).json()) as { data?: { id?: unknown }[] };
    expect(
      Array.isArray(body.data) && body.data.length > 0 && body.data.every((m) => typeof m.id === 'string'),
      'expected a non-empty model list',
    );
    return `${body.data?.length} models`;
  },
  'GET /studio/models': async (opts) => {
    const body = (await (await call(opts, '/studio/models')).json()) as unknown;
    expect(
      body !== null && typeof body === 'object' && !Array.isArray(body) && Object.values(body).every((v) => typeof v === 'string'),
      'expected a map of names to UUIDs',
    );
    return `${Object.keys(body as object).length} fine-tuned models`;
  },
  'POST /': async (opts) => {
    const body = (await (
      await call(opts, '/', { method: 'POST', body: JSON.stringify(PROMPT), headers: { 'x-model-id': opts.model } })
    ).json()) as Record<string, unknown>;
    expect(body.type === 'ai' && typeof body.content === 'string' && body.content.length > 0, 'expected an AI message with content');
    expect(
      ['additional_kwargs', 'response_metadata', 'tool_calls', 'usage_metadata'].every((k) => k in body),
      'expected the LangChain message keys',
    );
    return `${(body.content as string).length} characters`;
  },
  'POST /?stream=true': async (opts) => {
    const res = await call(opts, '/?stream=true', { method: 'POST', body: JSON.stringify(PROMPT), headers: { 'x-model-id': opts.model } });
    expect((res.headers.get('content-type') ?? '').startsWith('text/event-stream'), 'expected text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .map((e) => e.trim())
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    expect(events[0] === '{"status":"thinking"}', 'expected {"status":"thinking"} first');
    expect(events.at(-1) === '[DONE]', 'expected [DONE] last');
    const parsed = events.slice(1, -1).map((e) => JSON.parse(e) as Record<string, unknown>);
    const error = parsed.find((e) => 'error' in e);
    expect(error === undefined, `stream reported an error: ${JSON.stringify(error)}`);
    expect(
      parsed.some((e) => typeof e.content === 'string'),
      'expected content events',
    );
    return `${events.length} events`;
  },
};

/**
 * The IONOS token's expiry as a check: fails once the token has expired, and says how many days are left
 * (the alarm on `IonosTokenDaysToExpiry` warns well before). Only the number is reported, never the token.
 */
export function tokenExpiryCheck(days: number | undefined): CheckResult {
  const name = 'IONOS token expiry';
  if (days === undefined) return { name, ok: true, ms: 0, detail: 'not a JWT with an exp claim: expiry unknown' };
  if (days <= 0)
    return { name, ok: false, ms: 0, detail: `expired ${Math.abs(Math.floor(days))} days ago: put a new token in the credentials secret` };
  return { name, ok: true, ms: 0, detail: `expires in ${Math.floor(days)} days` };
}

/** Runs every check in order; never throws. */
export async function runSmokeChecks(opts: SmokeOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [name, check] of Object.entries(CHECKS)) {
    const started = performance.now();
    try {
      const detail = await check(opts);
      results.push({ name, ok: true, ms: Math.round(performance.now() - started), detail });
    } catch (err) {
      results.push({ name, ok: false, ms: Math.round(performance.now() - started), detail: (err as Error).message });
    }
  }
  return results;
}
