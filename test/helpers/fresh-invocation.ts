/**
 * Test helper, run as its own Node process: imports a function's bundle (its `index.mjs`, as Lambda loads
 * it), invokes its handler with the events given (one after another, each to its end), and prints what
 * each answered and whether the process loaded undici (Node's fetch) meanwhile. A fresh process, so what
 * a cold start and its first requests load is what is seen. A bundle, not the sources: run from source,
 * packages are linked as ESM, and an ESM import of node:http (middy's util has one) loads undici itself.
 *
 * Usage: node test/helpers/fresh-invocation.ts <bundle file> <events as JSON>; prints one JSON line.
 */
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';

// The runtime's streaming global, reduced to what a handler calls: the prelude goes ahead of the body.
(globalThis as Record<string, unknown>).awslambda = {
  streamifyResponse: (f: unknown) => f,
  HttpResponseStream: {
    from: (stream: PassThrough, prelude: unknown) => {
      stream.write(`${JSON.stringify(prelude)}\n\n`);
      return stream;
    },
  },
};

type Handler = (event: unknown, stream: PassThrough, context: object) => Promise<unknown>;
const [bundlePath, eventsJson] = process.argv.slice(2) as [string, string];
const { handler } = (await import(pathToFileURL(bundlePath).href)) as { handler: Handler };
const answers: string[] = [];
for (const event of JSON.parse(eventsJson) as unknown[]) {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString()));
  const ended = new Promise((resolve) => stream.on('end', resolve));
  const context = { awsRequestId: 'fresh', functionName: 'fresh', getRemainingTimeInMillis: () => 60_000 };
  const result = await handler(event, stream, context);
  // A buffered handler returns its result; a streaming one has written it.
  if (result === undefined) await ended;
  answers.push(result === undefined ? out : JSON.stringify(result));
}
// `moduleLoadList` names every internal module the process has loaded (undici: Node's fetch).
const loaded = (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
process.stdout.write(`${JSON.stringify({ answers, undici: loaded.some((m) => m.includes('undici')) })}\n`);
process.exit(0);
