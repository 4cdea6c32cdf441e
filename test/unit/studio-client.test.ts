import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCredentialStore, type Credentials } from '#shared/credentials.ts';
import { BadGatewayError, GatewayTimeoutError, RequestAbortedError, ServiceUnavailableError } from '#shared/errors.ts';
import { transport, type TransportRequest } from '#shared/http/transport.ts';
import { AnswerHeaders, UpstreamAnswer } from '#shared/http/upstream-answer.ts';
import { createStudioClient } from '#shared/ionos/studio-client.ts';
import { logger } from '#shared/logger.ts';

const MODEL = '7b19cae7-0983-4a6b-a03c-a647db48f00b';
const FAST_POLL = { initialMs: 1, factor: 2, maxMs: 4 };
const creds = (c: Partial<Credentials>) =>
  createCredentialStore({ secretId: undefined, envCredentials: { ionosApiToken: 'hub', ...c }, secretCacheSeconds: 300 });
const client = (c: Partial<Credentials> = { studioApiKey: 'studio-key', studioOrgId: 'org 1' }) =>
  createStudioClient({ studioBaseUrl: 'https://studio.test/api/v1', upstreamTimeoutMs: 1000 }, creds(c), FAST_POLL);
const json = (body: unknown, status = 200) =>
  new UpstreamAnswer(status, new AnswerHeaders([['content-type', 'application/json']]), { whole: Buffer.from(JSON.stringify(body)) });

/** A fetch stub answering job creation, then the given poll answers in order (the last repeats). */
function stubStudio(...polls: unknown[]) {
  const calls: { url: string; init: TransportRequest }[] = [];
  vi.spyOn(transport, 'send').mockImplementation(async (url: URL, init: TransportRequest) => {
    calls.push({ url: url.href, init });
    if (init.method === 'POST') return json({ job_id: 'job-1', status: 'CREATED' });
    return json(polls.length > 1 ? polls.shift() : polls[0]);
  });
  return calls;
}

const running = { job_id: 'job-1', job_status: 'RUNNING', results: [] };
const done = (status = 'FINISHED') => ({
  job_id: 'job-1',
  job_status: status,
  results: [{ task_index: 0, status, result: 'Hallo!', error: null }],
});

afterEach(() => vi.restoreAllMocks());

describe('Studio client', () => {
  it('creates a job with a list of conversations and polls until FINISHED', async () => {
    const calls = stubStudio(running, running, done());
    const result = await client().generate({
      modelId: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 0,
      maxTokens: 64,
      deadlineMs: 5_000,
    });
    expect(result).toEqual({ jobId: 'job-1', text: 'Hallo!' });
    expect(calls[0]?.url).toBe('https://studio.test/api/v1/organizations/org%201/generate');
    expect(JSON.parse(calls[0]?.init.body as string)).toEqual({
      model_id: MODEL,
      messages: [[{ role: 'user', content: 'Hi' }]],
      temperature: 0,
      max_tokens: 64,
    });
    expect(calls[0]?.init.headers.authorization).toBe('Bearer studio-key');
    expect(calls.slice(1).map((c) => c.url)).toEqual(Array(3).fill('https://studio.test/api/v1/organizations/org%201/generate/job-1'));
  });

  it('accepts the operator docs\' "completed" status', async () => {
    stubStudio(done('completed'));
    await expect(
      client().generate({ modelId: MODEL, messages: [{ role: 'user', content: 'Hi' }], deadlineMs: 5_000 }),
    ).resolves.toMatchObject({ text: 'Hallo!' });
  });

  it.each(['FAILED', 'CANCELED'])("fails with 502 when the job ends %s, keeping Studio's failure text in the logs only", async (status) => {
    const internal = 'worker gpu-7.internal.ionos (10.2.3.4) for org 5f1c-org failed: GPU out of memory';
    stubStudio({ job_id: 'job-1', job_status: status, results: [{ task_index: 0, status, result: null, error: internal }] });
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const err = await client()
      .generate({ modelId: MODEL, messages: [{ role: 'user', content: 'Hi' }], deadlineMs: 5_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadGatewayError);
    expect((err as Error).message).toBe(
      `IONOS AI Model Studio could not complete the job (it ended as ${status}). Try again later; if it keeps failing, give the operator the job id job-1.`,
    );
    expect(warn).toHaveBeenCalledWith('Studio job failed', { jobId: 'job-1', jobStatus: status.toLowerCase(), reason: internal });
    warn.mockRestore();
  });

  it('stops polling at the deadline with 504', async () => {
    stubStudio(running);
    const err = await client()
      .generate({ modelId: MODEL, messages: [{ role: 'user', content: 'Hi' }], deadlineMs: 50 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayTimeoutError);
  });

  it('stops polling when the caller aborts', async () => {
    stubStudio(running);
    const controller = new AbortController();
    const pending = client().generate({
      modelId: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      deadlineMs: 60_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(RequestAbortedError);
  });

  it('answers 503 saying Studio is not configured when the key or org is missing', async () => {
    const calls = stubStudio(done());
    await expect(client({ studioApiKey: 'k' }).generate({ modelId: MODEL, messages: [], deadlineMs: 1_000 })).rejects.toThrow(
      ServiceUnavailableError,
    );
    await expect(client({}).generate({ modelId: MODEL, messages: [], deadlineMs: 1_000 })).rejects.toThrow(/Studio is not configured/);
    expect(calls).toHaveLength(0);
  });

  it('fails with 502 on answers it cannot read', async () => {
    vi.spyOn(transport, 'send').mockImplementation(async () => json({ no_job: true }));
    await expect(client().generate({ modelId: MODEL, messages: [{ role: 'user', content: 'Hi' }], deadlineMs: 1_000 })).rejects.toThrow(
      /without a job id/,
    );
    stubStudio({ job_status: 'FINISHED', results: [] });
    await expect(client().generate({ modelId: MODEL, messages: [{ role: 'user', content: 'Hi' }], deadlineMs: 1_000 })).rejects.toThrow(
      /without a result/,
    );
  });
});
