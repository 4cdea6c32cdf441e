// Run in a fresh process by the bench, stdout discarded (logs and EMF lines go nowhere, as they go to
// CloudWatch in Lambda): the CPU per request of the proxy handler invoked in-process as the Lambda runtime
// invokes it (an API Gateway REST event, a response stream), next to a bare reference handler that does the
// minimum (read the body, one upstream request, stream the answer back). Prints JSON on stderr.
// Usage: node test/bench/handler-cost-probe.ts <hub base url> <token> <requests>
import { Agent, request, type IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { installAwsLambdaShim } from '#infra/offline/api-gateway/awslambda-shim.ts';
import { restEvent } from '#test/helpers/rest-event.ts';
import { percentile, round } from './stats.ts';

const [hubBaseUrl = '', token = '', count = '2000'] = process.argv.slice(2);
const N = Number(count);
Object.assign(process.env, {
  IONOS_HUB_BASE_URL: hubBaseUrl,
  IONOS_API_TOKEN: token,
  POWERTOOLS_SERVICE_NAME: 'hub-proxy',
  STUDIO_MODELS: '{}',
});
installAwsLambdaShim();

/** A response stream that discards what it is given, as the runtime's does once it has sent it on. */
class Sink extends Writable {
  setContentType(): void {}
  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    callback();
  }
}

const event = restEvent('/v1/{proxy+}', '/v1/chat/completions', 'POST', {
  headers: { 'content-type': 'application/json' },
  pathParameters: { proxy: 'chat/completions' },
  body: JSON.stringify({ model: 'mistralai/Mistral-Small-24B-Instruct', messages: [{ role: 'user', content: 'Hello' }] }),
});
const context = { awsRequestId: 'bench', functionName: 'hub-proxy', getRemainingTimeInMillis: () => 300_000 };

type Handler = (event: unknown, stream: Sink, context: unknown) => Promise<unknown>;
const { handler } = (await import('#functions/hub-proxy.ts')) as unknown as { handler: Handler };

// The minimum a proxy handler must do, on the same keep-alive transport kind.
const agent = new Agent({ keepAlive: true });
const bare: Handler = async (e, stream) => {
  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      `${hubBaseUrl}/v1/chat/completions`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
      resolve,
    );
    req.on('error', reject).end((e as { body: string }).body);
  });
  const out = awslambda.HttpResponseStream.from(stream as never, {
    statusCode: upstream.statusCode,
    headers: { 'content-type': upstream.headers['content-type'] },
  });
  await pipeline(upstream, out as unknown as Writable);
};

interface Cost {
  cpuMs: number;
  p50: number;
}

async function measure(h: Handler, n: number): Promise<Cost> {
  const once = async () => {
    const sink = new Sink();
    await h(event, sink, context);
  };
  for (let i = 0; i < 50; i++) await once(); // this round's caches and connections
  const wall: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await once();
    wall.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000 / n, p50: percentile(wall, 50) };
}

// Interleaved rounds, so drift on a shared machine affects both alike; each round's ratio compares
// neighbours, and the medians stand for the run.
const ROUNDS = 7;
for (const h of [bare, handler]) await measure(h, 1000); // warm up: JIT tiers settle before anything counts
const ours: Cost[] = [];
const reference: Cost[] = [];
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  reference.push(await measure(bare, Math.ceil(N / 2)));
  ours.push(await measure(handler, Math.ceil(N / 2)));
  ratios.push((ours.at(-1) as Cost).cpuMs / (reference.at(-1) as Cost).cpuMs);
}
const median = (xs: number[]) => percentile(xs, 50);
const summary = (xs: Cost[]) => ({ cpuMs: round(median(xs.map((x) => x.cpuMs)), 4), p50: round(median(xs.map((x) => x.p50)), 3) });
process.stderr.write(`${JSON.stringify({ ours: summary(ours), bare: summary(reference), ratio: round(median(ratios), 2) })}\n`);
agent.destroy();
process.exit(0);
