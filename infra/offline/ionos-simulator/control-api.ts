/**
 * The simulator's HTTP control API under `/__sim/`, for tests that drive a simulator in another process
 * (e.g. behind `npm start`). In-process tests use `Simulator.control` directly.
 *
 *   GET  /__sim/requests        what reached the simulator (method, path, headers, body, clientClosedEarly)
 *   POST /__sim/faults          a Fault or a list of them
 *   POST /__sim/chat-replies    a ScriptedReply or a list
 *   POST /__sim/studio-jobs     a ScriptedJob or a list
 *   PUT  /__sim/settings        {rateLimit?: {rps, burst}, streamDelayMs?, studioPollsBeforeDone?, hubToken?}
 *   POST /__sim/reset           clears faults, scripts, the request log and rate-limit buckets
 */
import type { ServerResponse } from 'node:http';
import type { Fault, ScriptedJob, ScriptedReply, SimulatorControl } from './control.ts';
import type { RateLimiter } from './rate-limiter.ts';

interface ControlTarget {
  control: SimulatorControl;
  limiter: RateLimiter;
  hubTokens: Set<string>;
}

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : [value as T]);

/** Answers one control request. */
export function handleControl(sim: ControlTarget, method: string, path: string, body: string, res: ServerResponse): void {
  const reply = (status: number, json: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(json));
  };
  let input: unknown;
  try {
    input = body === '' ? {} : JSON.parse(body);
  } catch {
    return reply(400, { error: 'body is not JSON' });
  }
  const { control } = sim;
  const key = `${method} ${path}`;
  if (key === 'GET /__sim/requests') return reply(200, control.requests);
  if (key === 'POST /__sim/faults') control.faults.push(...list<Fault>(input));
  else if (key === 'POST /__sim/chat-replies') control.chatReplies.push(...list<ScriptedReply>(input));
  else if (key === 'POST /__sim/studio-jobs') control.studioJobs.push(...list<ScriptedJob>(input));
  else if (key === 'POST /__sim/reset') {
    control.reset();
    sim.limiter.reset();
  } else if (key === 'PUT /__sim/settings') {
    const s = input as {
      rateLimit?: { rps: number; burst: number };
      streamDelayMs?: number;
      studioPollsBeforeDone?: number;
      hubToken?: string;
    };
    if (s.rateLimit !== undefined) sim.limiter.limit = s.rateLimit;
    if (s.streamDelayMs !== undefined) control.streamDelayMs = s.streamDelayMs;
    if (s.studioPollsBeforeDone !== undefined) control.studioPollsBeforeDone = s.studioPollsBeforeDone;
    if (s.hubToken !== undefined) {
      sim.hubTokens.clear();
      sim.hubTokens.add(s.hubToken);
    }
  } else return reply(404, { error: `unknown control route ${key}` });
  reply(200, { ok: true });
}
