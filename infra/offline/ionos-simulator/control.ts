/**
 * Test control of the simulator: faults injected per request, scripted chat replies and Studio job
 * outcomes (so agent tests are deterministic), and a log of what reached "IONOS".
 */

/** A fault applied to the next matching request(s). */
export interface Fault {
  /** Which requests it applies to: exact path (default: any API path) and method. */
  path?: string;
  method?: string;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** Wait before answering (before headers). */
  latencyMs?: number;
  /** Answer with this HTTP status and an error body. */
  status?: number;
  /** `Retry-After` seconds with a 429/503 status; `null` sends none. */
  retryAfter?: number | null;
  /** Error body format: IONOS native (default), the OpenAI envelope, or an HTML page. */
  errorFormat?: 'ionos' | 'openai' | 'html';
  errorMessage?: string;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /** Answer 200 with a body that is not valid JSON. */
  malformedJson?: boolean;
  /** Extra headers on the answer (e.g. `set-cookie`, `server`), to check what a proxy passes back. */
  headers?: Record<string, string>;
  /** Override the success response's content type. */
  contentType?: string;
  /** Streams: destroy the connection after this many SSE events; JSON answers: after half the body. */
  cutStreamAfter?: number;
  /** Streams: pause this long after `stallAfterEvents` events. */
  stallMs?: number;
  stallAfterEvents?: number;
}

/** A scripted chat completion answer: text, tool calls, or both. */
export interface ScriptedReply {
  content?: string;
  /** Reasoning text (a reasoning model gives its own by default). */
  reasoning?: string;
  toolCalls?: { name: string; arguments: unknown; id?: string }[];
  finishReason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** A scripted Studio job outcome. */
export interface ScriptedJob {
  result?: string;
  /** End the job as FAILED (or CANCELED) with this error. */
  fail?: string;
  canceled?: boolean;
  /** Never finish (to test deadlines). */
  hang?: boolean;
  /** The finished status word: IONOS docs say FINISHED, the operator's docs completed. */
  finishedStatus?: 'FINISHED' | 'completed';
}

/** What the simulator saw of one request. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's bytes, for a multipart body (its UTF-8 text above would mangle file parts). */
  raw?: Buffer;
  /** Set when the client closed the connection before the answer was complete. */
  clientClosedEarly: boolean;
}

/** Mutable control state of one simulator. */
export class SimulatorControl {
  faults: Fault[] = [];
  chatReplies: ScriptedReply[] = [];
  studioJobs: ScriptedJob[] = [];
  requests: SeenRequest[] = [];
  /** Delay between SSE events, for a realistic stream (0 in fast mode). */
  streamDelayMs = 0;
  /** When an array, the time (epoch ms, sub-ms precision) each SSE event was written: for the benchmarks. */
  eventTimes: number[] | undefined;
  /** Studio polls that answer RUNNING before a job finishes. */
  studioPollsBeforeDone = 1;

  /** Removes and returns the fault for this request, if any (decrementing its count). */
  takeFault(method: string, path: string): Fault | undefined {
    const index = this.faults.findIndex(
      (f) => (f.path === undefined || f.path === path) && (f.method === undefined || f.method === method),
    );
    if (index === -1) return undefined;
    const fault = this.faults[index] as Fault;
    const left = (fault.times ?? 1) - 1;
    if (left <= 0) this.faults.splice(index, 1);
    else this.faults[index] = { ...fault, times: left };
    return fault;
  }

  /** Clears faults, scripts and the request log. */
  reset(): void {
    this.faults = [];
    this.chatReplies = [];
    this.studioJobs = [];
    this.requests = [];
  }
}
