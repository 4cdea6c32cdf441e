/**
 * The simulated AI Model Studio job API: `POST /organizations/{org}/generate` creates a job, `GET
 * .../generate/{job_id}` reports it; a job answers RUNNING for a configurable number of polls, then
 * finishes (or fails, or hangs, when scripted).
 */
import { randomUUID } from 'node:crypto';
import { STUDIO_MODELS } from './catalogue.ts';
import type { ScriptedJob, SimulatorControl } from './control.ts';
import { ionosError, type SimAnswer } from './hub.ts';

interface Job {
  id: string;
  modelName: string;
  lastUserText: string;
  polls: number;
  script: ScriptedJob;
}

const MAX_JOBS = 1_000; // oldest jobs are forgotten, so a long soak does not grow memory

/** Studio jobs of one simulator. */
export class StudioJobs {
  #jobs = new Map<string, Job>();
  #control: SimulatorControl;

  constructor(control: SimulatorControl) {
    this.#control = control;
  }

  /** `POST .../generate`. */
  create(body: Record<string, unknown>): SimAnswer {
    const modelId = typeof body.model_id === 'string' ? body.model_id.toLowerCase() : undefined;
    const modelName = Object.entries(STUDIO_MODELS).find(([, id]) => id === modelId)?.[0];
    if (modelName === undefined)
      return ionosError(404, `Model '${String(body.model_id)}' not found in this organization.`, 'studio-model-not-found');
    const conversations = body.messages;
    const first = Array.isArray(conversations) ? (conversations[0] as unknown) : undefined;
    if (!Array.isArray(first) || first.length === 0 || !first.every(isStudioMessage)) {
      return ionosError(400, '"messages" must be a list of conversations, each a non-empty list of {role, content}.', 'validation');
    }
    const lastUser = [...first].reverse().find((m) => m.role === 'user');
    const job: Job = {
      id: randomUUID(),
      modelName,
      lastUserText: String(lastUser?.content ?? '').slice(0, 200),
      polls: 0,
      script: this.#control.studioJobs.shift() ?? {},
    };
    this.#jobs.set(job.id, job);
    if (this.#jobs.size > MAX_JOBS) this.#jobs.delete(this.#jobs.keys().next().value as string);
    return { status: 200, json: { job_id: job.id, status: 'CREATED', created_at: new Date().toISOString() } };
  }

  /** `GET .../generate/{job_id}`. */
  poll(jobId: string): SimAnswer {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return ionosError(404, `Job '${jobId}' not found.`, 'studio-job-not-found');
    job.polls += 1;
    const { script } = job;
    const base = { job_id: job.id, total_tasks: 1 };
    if (script.hang === true || job.polls <= this.#control.studioPollsBeforeDone) {
      return { status: 200, json: { ...base, job_status: 'RUNNING', completed_tasks: 0, results: [] } };
    }
    if (script.fail !== undefined || script.canceled === true) {
      const status = script.canceled === true ? 'CANCELED' : 'FAILED';
      return {
        status: 200,
        json: {
          ...base,
          job_status: status,
          completed_tasks: 1,
          results: [{ task_index: 0, status, result: null, error: script.fail ?? 'Job was canceled.' }],
        },
      };
    }
    const result = script.result ?? `Simulated fine-tuned answer from ${job.modelName}: you said "${job.lastUserText}".`;
    const status = script.finishedStatus ?? 'FINISHED';
    return {
      status: 200,
      json: { ...base, job_status: status, completed_tasks: 1, results: [{ task_index: 0, status, result, error: null }] },
    };
  }
}

function isStudioMessage(m: unknown): m is { role: string; content: string } {
  const r = m as Record<string, unknown>;
  return (
    r !== null &&
    typeof r === 'object' &&
    (r.role === 'user' || r.role === 'assistant' || r.role === 'system') &&
    typeof r.content === 'string'
  );
}
