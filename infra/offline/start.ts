/**
 * `npm start`: serves the whole API on http://localhost:8000 (PORT and HOST override). With no IONOS
 * credentials configured (IONOS_API_TOKEN or IONOS_SECRET_ID) it starts the IONOS simulator in-process,
 * points the API at it, and says so. With no usage table configured (USAGE_TABLE) it embeds a DynamoDB-
 * compatible store (dynalite, in memory) for the usage table (ledger, budgets, contract limiter), and says so;
 * `USAGE_TABLE=none` runs without one. Ctrl-C stops them all cleanly.
 */
import { startLocalApi } from '#infra/offline/api-gateway/server.ts';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo, type EmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { simulatorEnv } from '#infra/offline/ionos-simulator/env.ts';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';

const env = process.env;

async function startOfflineSimulator(): Promise<Simulator> {
  const sim = await startSimulator({
    port: env.SIMULATOR_PORT === undefined ? 0 : Number(env.SIMULATOR_PORT),
    rateLimit: env.SIMULATOR_RATE_LIMIT === 'off' ? { rps: 0, burst: 0 } : { rps: 5, burst: 10 },
  });
  sim.control.streamDelayMs = Number(env.SIMULATOR_STREAM_DELAY_MS ?? 0);
  Object.assign(env, simulatorEnv(sim));
  // Offer the simulator's demo fine-tuned models unless a map is configured.
  if (env.STUDIO_MODELS === undefined && env.STUDIO_MODELS_FILE === undefined) env.STUDIO_MODELS = JSON.stringify(STUDIO_MODELS);
  console.log(
    `No IONOS credentials configured (IONOS_API_TOKEN or IONOS_SECRET_ID): running offline against the IONOS simulator at ${sim.url}.`,
  );
  return sim;
}

/**
 * The embedded store, kept running: if its process dies (killed, crashed), requests would fail open for
 * ever, with no budgets, no limiter and no ledger, and nobody told. So it is said once, loudly, and the
 * store is started again on the same port (its data lived in memory and is gone); if that fails, npm start
 * exits rather than serve unaccounted.
 */
async function startOfflineStore(): Promise<{ close(): Promise<void> }> {
  let current: EmbeddedDynamo;
  let stopped = false;
  const start = (port: number) => startEmbeddedDynamo({ port, onUnexpectedExit: (reason) => void restart(reason) });
  const restart = async (reason: string) => {
    if (stopped) return;
    console.error(
      `npm start: the embedded DynamoDB store (pid ${current.pid}) stopped (${reason}): budgets, the contract limiter and the usage ledger were not working. Restarting it on ${current.endpoint}; the usage it held is lost.`,
    );
    try {
      current = await start(Number(new URL(current.endpoint).port));
      console.error(`npm start: the embedded DynamoDB store is running again (pid ${current.pid}).`);
    } catch (err) {
      console.error(`npm start: the embedded DynamoDB store could not be restarted (${(err as Error).message}); exiting.`);
      process.exit(1);
    }
  };
  current = await start(env.DYNAMODB_PORT === undefined ? 0 : Number(env.DYNAMODB_PORT));
  Object.assign(env, { USAGE_TABLE: current.tableName, DYNAMODB_ENDPOINT: current.endpoint });
  for (const [name, value] of Object.entries(EMBEDDED_AWS_ENV)) env[name] ??= value;
  console.log(
    `No usage table configured (USAGE_TABLE): the usage ledger runs on an embedded DynamoDB-compatible store (dynalite, in memory, in a child process, pid ${current.pid}) at ${current.endpoint}.`,
  );
  return {
    close: () => {
      stopped = true;
      return current.close();
    },
  };
}

async function main(): Promise<void> {
  env.POWERTOOLS_SERVICE_NAME ??= 'ionos-agent-backend-local';
  env.POWERTOOLS_METRICS_DISABLED ??= 'true'; // EMF lines are for CloudWatch; set false to see them locally
  // As cdk.json, and the port this server listens on (a page it serves itself, e.g. on PORT=9000).
  const port = env.PORT ?? '8000';
  env.ALLOWED_ORIGINS ??= [...new Set(['3000', '5173', '8000', port])].map((p) => `http://localhost:${p}`).join(',');
  const offline = env.IONOS_API_TOKEN === undefined && env.IONOS_SECRET_ID === undefined;
  const sim = offline ? await startOfflineSimulator() : undefined;
  const withoutTable = env.USAGE_TABLE === 'none';
  if (withoutTable) {
    delete env.USAGE_TABLE;
    console.log('USAGE_TABLE=none: no usage table, so no ledger, budgets or contract limiter.');
  }
  const store = env.USAGE_TABLE === undefined && !withoutTable ? await startOfflineStore() : undefined;
  const api = await startLocalApi({ port: Number(port), host: env.HOST ?? '127.0.0.1' });
  console.log(`API listening on ${api.url.replace('127.0.0.1', 'localhost')}; Ctrl-C stops it.`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Closing both servers must be enough for the process to end by itself: whatever still holds it after
    // that (a socket, a timer) is a leak, reported with exit code 1. The load test checks for it.
    setTimeout(() => {
      console.error('npm start: still busy 5 s after closing the servers (a socket or timer was left open); exiting.');
      process.exit(1);
    }, 5_000).unref();
    // The API first: its invocations may still be writing to the store.
    void api.close().then(() => Promise.all([sim?.close(), store?.close()]));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
