/**
 * Test helper: runs a function bundle under AWS's Node runtime interface client (`aws-lambda-ric`, the code
 * of the managed Node runtimes) against a minimal Lambda Runtime API on loopback, so what is tested is the
 * bundle as Lambda loads it: its module format, its handler export, its streaming mode.
 *
 * The Runtime API here does what the runtime needs: `GET …/invocation/next` hands out queued events (and
 * is held open until there is one), `POST …/response` and `…/error` take the outcome, `POST …/init/error`
 * a failed init. INIT is measured as the runtime sees it: from process start to the first `next`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const ROOT = new URL('../..', import.meta.url).pathname;
const RIC = `${ROOT}node_modules/aws-lambda-ric/index.mjs`;
const BASE = '/2018-06-01/runtime';
const STREAMING_TYPE = 'application/vnd.awslambda.http-integration-response';

/** What the function answered for one invocation. */
export interface Invocation {
  outcome: 'response' | 'error';
  /** The runtime sent the response in streaming mode (`Lambda-Runtime-Function-Response-Mode: streaming`). */
  streaming: boolean;
  contentType: string | undefined;
  body: Buffer;
}

/** A bundle running under the runtime interface client. */
export interface RunningBundle {
  /** Process start to the first `next`, in ms. */
  initMs: number;
  /** The runtime's process id (for its resident memory in /proc). */
  pid: number;
  invoke(event: unknown): Promise<Invocation>;
  /** Everything the process printed. */
  output(): string;
  stop(): Promise<void>;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Starts `dir/index.*` (handler `index.handler`) under the runtime interface client with `env`, and waits
 * for its INIT to end. @throws when INIT fails (the init error the runtime posted).
 */
export async function startBundle(dir: string, env: Record<string, string>, timeoutMs = 30_000): Promise<RunningBundle> {
  const queued: { id: string; event: unknown }[] = [];
  const waiting: ServerResponse[] = [];
  const pending = new Map<string, { resolve: (invocation: Invocation) => void; reject: (reason: Error) => void }>();
  let firstNext: (() => void) | undefined;
  let initFailed: ((reason: Error) => void) | undefined;

  const hand = (res: ServerResponse, { id, event }: { id: string; event: unknown }) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': id,
      'lambda-runtime-deadline-ms': String(Date.now() + timeoutMs),
      'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:eu-central-1:123456789012:function:harness',
      'lambda-runtime-trace-id': 'Root=1-6740e5a2-1d4e6f0a3b2c4d5e6f708192;Parent=53995c3f42cd8ad8;Sampled=0',
    });
    res.end(JSON.stringify(event));
  };

  const server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '';
      const body = await readAll(req);
      if (req.method === 'GET' && path === `${BASE}/invocation/next`) {
        firstNext?.();
        const next = queued.shift();
        if (next === undefined) waiting.push(res);
        else hand(res, next);
        return;
      }
      const done = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
      if (req.method === 'POST' && done !== null) {
        res.writeHead(202).end();
        pending.get(decodeURIComponent(done[1] as string))?.resolve({
          outcome: done[2] as Invocation['outcome'],
          streaming: req.headers['lambda-runtime-function-response-mode'] === 'streaming',
          contentType: req.headers['content-type'],
          body,
        });
        return;
      }
      if (req.method === 'POST' && path === `${BASE}/init/error`) {
        res.writeHead(202).end();
        initFailed?.(new Error(`init error: ${body.toString('utf8')}`));
        return;
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const started = performance.now();
  const child = spawn(process.execPath, [RIC], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'eu-central-1',
      AWS_LAMBDA_FUNCTION_NAME: 'harness',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/harness',
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/23/[$LATEST]harness',
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      _HANDLER: 'index.handler',
      LAMBDA_TASK_ROOT: dir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A runtime that dies answers nothing more: fail what waits for it, with what it printed.
  void exited.then(() => {
    for (const { reject } of pending.values()) reject(new Error(`the runtime exited: ${out}`));
  });

  const stop = async () => {
    child.kill('SIGKILL');
    await exited;
    for (const res of waiting) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    await new Promise<void>((resolve, reject) => {
      firstNext = resolve;
      initFailed = reject;
      void exited.then(() => reject(new Error(`the runtime exited during INIT: ${out}`)));
      setTimeout(() => reject(new Error(`no INIT within ${timeoutMs} ms: ${out}`)), timeoutMs).unref();
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const initMs = performance.now() - started;
  firstNext = undefined;

  return {
    initMs,
    pid: child.pid as number,
    output: () => out,
    stop,
    invoke(event) {
      const id = randomUUID();
      const answered = new Promise<Invocation>((resolve, reject) => pending.set(id, { resolve, reject }));
      const res = waiting.shift();
      if (res === undefined) queued.push({ id, event });
      else hand(res, { id, event });
      return answered;
    },
  };
}

/** An HTTP-integration streaming response: the JSON prelude (status, headers) and the body after the 8 NULs. */
export function parseStreamingResponse(invocation: Invocation): {
  prelude: { statusCode?: number; headers?: Record<string, string> };
  body: string;
} {
  if (invocation.contentType !== STREAMING_TYPE) throw new Error(`not an HTTP-integration streaming response: ${invocation.contentType}`);
  const end = invocation.body.indexOf(Buffer.alloc(8));
  if (end === -1) throw new Error('no prelude delimiter (8 NUL bytes) in the streamed response');
  return {
    prelude: JSON.parse(invocation.body.subarray(0, end).toString('utf8')) as { statusCode?: number },
    body: invocation.body.subarray(end + 8).toString('utf8'),
  };
}
