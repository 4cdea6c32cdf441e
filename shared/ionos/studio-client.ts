/**
 * Client for IONOS AI Model Studio's job API: fine-tuned models answer through a job that is created,
 * then polled until it finishes. Polling backs off, stops at an overall deadline, and aborts with the caller.
 */
import * as z from 'zod/mini';
import { credentialValues, type CredentialStore } from '#shared/credentials.ts';
import type { RuntimeConfig } from '#shared/config.ts';
import { BadGatewayError, BadRequestError, GatewayTimeoutError, ServiceUnavailableError } from '#shared/errors.ts';
import { readJsonAnswer, upstreamFetch } from '#shared/http/upstream-fetch.ts';
import { redact } from '#shared/ionos/error-body.ts';
import { STUDIO_PATHS, studioUpstream } from '#shared/ionos/upstreams.ts';
import { logger } from '#shared/logger.ts';
import { sleep } from '#shared/time.ts';

/** A Studio chat turn. Studio knows only these two roles. */
export interface StudioMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** A conversation turn before the Studio rules apply: `other` covers tool traffic and unknown roles. */
export interface TurnInput {
  role: 'system' | 'user' | 'assistant' | 'other';
  text: string;
}

/**
 * Studio's conversation rules, in one place: two roles only, so system text becomes a prefix of the first
 * user turn; tool traffic and empty assistant turns are dropped.
 * @throws BadRequestError naming `param` when no user turn remains.
 */
export function toStudioConversation(turns: TurnInput[], param: string): StudioMessage[] {
  const system = turns.filter((t) => t.role === 'system' && t.text !== '').map((t) => t.text);
  const kept: StudioMessage[] = [];
  for (const t of turns) {
    if (t.role === 'user') kept.push({ role: 'user', content: t.text });
    else if (t.role === 'assistant' && t.text !== '') kept.push({ role: 'assistant', content: t.text });
  }
  const first = kept.find((t) => t.role === 'user');
  if (first === undefined)
    throw new BadRequestError('A fine-tuned Studio model needs at least one user message (type "human" on POST /, role "user" on /v1).', {
      param,
    });
  if (system.length > 0) first.content = `${system.join('\n\n')}\n\n${first.content}`;
  return kept;
}

/** One generation request. */
export interface StudioGenerateRequest {
  modelId: string;
  messages: StudioMessage[];
  temperature?: number;
  maxTokens?: number;
  /** Overall time for create + polling, in ms. */
  deadlineMs: number;
  signal?: AbortSignal;
  /** Awaited before the job is created (the IONOS contract's slot); its polls take none. */
  slot?: () => Promise<void>;
}

/** A finished generation. */
export interface StudioGenerateResult {
  jobId: string;
  text: string;
}

/** Poll timing: first wait, growth factor, longest wait. */
export interface PollPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
}

const DEFAULT_POLL: PollPolicy = { initialMs: 500, factor: 1.5, maxMs: 2_000 };

const createdJob = z.object({ job_id: z.string().check(z.minLength(1)) });
const jobState = z.object({
  job_id: z.optional(z.string()),
  job_status: z.string(),
  results: z.nullish(z.array(z.object({ result: z.nullish(z.string()), error: z.nullish(z.string()), status: z.nullish(z.string()) }))),
});

const DONE = new Set(['finished', 'completed']);
const FAILED = new Set(['failed', 'canceled', 'cancelled']);

/** The Studio client. */
export interface StudioClient {
  /** Creates a job and polls it to completion. @throws 503 when Studio is not configured, 502/504 on failure. */
  generate(request: StudioGenerateRequest): Promise<StudioGenerateResult>;
}

/** Creates a Studio client; credentials must include `studioApiKey` and `studioOrgId`. */
export function createStudioClient(
  config: Pick<RuntimeConfig, 'studioBaseUrl' | 'upstreamTimeoutMs'>,
  credentials: CredentialStore,
  poll: PollPolicy = DEFAULT_POLL,
): StudioClient {
  const upstream = studioUpstream(config);

  return {
    generate: (request) =>
      credentials.withCredentials(async (c) => {
        const { studioApiKey, studioOrgId } = c;
        const secrets = credentialValues(c);
        if (studioApiKey === undefined || studioOrgId === undefined) {
          throw new ServiceUnavailableError(
            'IONOS AI Model Studio is not configured on this server, so fine-tuned (UUID) models cannot be used. The operator must add studioApiKey and studioOrgId to the credentials secret.',
            { code: 'studio_not_configured' },
          );
        }
        const deadline = Date.now() + request.deadlineMs;
        const call = async (path: string, init: { method?: string; body?: string; beforeAttempt?: () => Promise<void> }) => {
          const remaining = deadline - Date.now();
          if (remaining <= 0) throw timedOut(request.deadlineMs);
          const response = await upstreamFetch(upstream, {
            ...init,
            path,
            token: studioApiKey,
            redact: secrets,
            headers: init.body === undefined ? undefined : { 'content-type': 'application/json' },
            timeoutMs: Math.min(config.upstreamTimeoutMs, remaining),
            signal: request.signal,
            retry: { attempts: 3, deadline },
          });
          return readJsonAnswer(upstream, response);
        };

        const created = createdJob.safeParse(
          await call(STUDIO_PATHS.createJob(studioOrgId), {
            method: 'POST',
            beforeAttempt: request.slot,
            body: JSON.stringify({
              model_id: request.modelId,
              messages: [request.messages],
              temperature: request.temperature,
              max_tokens: request.maxTokens,
            }),
          }),
        );
        if (!created.success) throw new BadGatewayError('IONOS AI Model Studio answered the job request without a job id.');
        const jobId = created.data.job_id;

        for (let wait = poll.initialMs; ; wait = Math.min(poll.maxMs, wait * poll.factor)) {
          if (Date.now() + wait >= deadline) throw timedOut(request.deadlineMs);
          await sleep(wait, request.signal);
          const state = jobState.safeParse(await call(STUDIO_PATHS.job(studioOrgId, jobId), {}));
          if (!state.success) throw new BadGatewayError('IONOS AI Model Studio answered a job poll in an unexpected format.');
          const status = state.data.job_status.toLowerCase();
          const first = state.data.results?.[0];
          if (DONE.has(status)) {
            if (typeof first?.result !== 'string')
              throw new BadGatewayError(`IONOS AI Model Studio job ${jobId} finished without a result.`);
            return { jobId, text: first.result };
          }
          if (FAILED.has(status)) {
            // Studio's failure text can name internal hosts, addresses and the organisation: logs only.
            logger.warn('Studio job failed', { jobId, jobStatus: status, reason: redact(first?.error ?? '', secrets).slice(0, 500) });
            throw new BadGatewayError(
              `IONOS AI Model Studio could not complete the job (it ended as ${status.toUpperCase()}). Try again later; if it keeps failing, give the operator the job id ${jobId}.`,
              { code: 'studio_job_failed' },
            );
          }
        }
      }),
  };
}

function timedOut(deadlineMs: number): GatewayTimeoutError {
  return new GatewayTimeoutError(
    `IONOS AI Model Studio did not finish the job within ${Math.round(deadlineMs / 1000)} s. Try again later.`,
  );
}
