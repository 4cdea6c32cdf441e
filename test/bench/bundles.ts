/**
 * Bundles each function as the stack does (infra/bundling/bundle.ts) and measures the bundle size and the
 * cold import of the bundle in a fresh Node process (what Lambda's init does).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFunction } from '#infra/bundling/bundle.ts';
import { FUNCTIONS, type FunctionName } from '#shared/routes.ts';
import { percentile, round } from './stats.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Bundle size and cold import of one function. */
export interface BundleFigures {
  name: FunctionName;
  /** The folder holding the bundle as `index.mjs`. */
  dir: string;
  bundleKb: number;
  coldImportMsP50: number;
}

// Defines the runtime's `awslambda` global, then times the import of the bundle given as argv[1].
const IMPORT_PROBE = `globalThis.awslambda={streamifyResponse:(f)=>f,HttpResponseStream:{from:(s)=>s}};
const t=performance.now();await import(process.argv[1]);console.log(performance.now()-t);`;

// Inside the project, so the bundles' external `@aws-sdk/*` imports resolve as the Lambda runtime provides them.
const DIR = join(ROOT, 'node_modules', '.cache', 'bench-bundles');

/** p50 of `runs` cold imports of a bundle, each in a fresh Node process. */
function coldImportMs(outfile: string, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', IMPORT_PROBE, outfile], {
      env: { ...process.env, STUDIO_MODELS: '{}', POWERTOOLS_LOG_LEVEL: 'ERROR' },
    });
    samples.push(Number(out.toString().trim()));
  }
  return round(percentile(samples, 50));
}

/** Bundles and measures every function; `runs` cold imports each. */
export async function measureBundles(runs: number): Promise<BundleFigures[]> {
  mkdirSync(DIR, { recursive: true });
  const figures: BundleFigures[] = [];
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
    // As in the deployed asset: the function's folder with its index.mjs (the runtime loads index.handler).
    const outfile = join(DIR, name, 'index.mjs');
    await bundleFunction({ path: join(ROOT, 'functions', `${name}.ts`) }, join(DIR, name));
    figures.push({
      name,
      dir: join(DIR, name),
      bundleKb: round(statSync(outfile).size / 1024, 1),
      coldImportMsP50: coldImportMs(outfile, runs),
    });
  }
  return figures;
}

/**
 * What the functions load before any code of ours, bundled and cold-imported the same way: the floor under
 * the cold-import figures. The parts are the stack's choices (Powertools Logger and Metrics, middy in
 * response-streaming mode; LangGraph and LangChain's OpenAI model for the agent); Node's own modules they
 * import are listed beside them.
 */
const LANGGRAPH_FLOOR = 'LangGraph StateGraph + ToolNode + @langchain/openai ChatOpenAI (what the agent requires)';
const FLOOR_PARTS: Record<string, string> = {
  'an empty module': 'export const handler = () => undefined;',
  'node:crypto (imported by Powertools Logger)': "export { randomInt } from 'node:crypto';",
  'node:stream/web (imported by middy streaming mode)': "export { ReadableStream } from 'node:stream/web';",
  'Powertools Logger': "import { Logger } from '@aws-lambda-powertools/logger'; export const logger = new Logger();",
  'Powertools Logger + Metrics + middy streaming mode': `import { Logger } from '@aws-lambda-powertools/logger';
    import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
    import { Metrics } from '@aws-lambda-powertools/metrics';
    import middy from '@middy/core';
    import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
    const logger = new Logger();
    export const handler = awslambda.streamifyResponse(
      middy({ executionMode: executionModeStreamifyResponse }).use(injectLambdaContext(logger)).handler(async () => new Metrics()),
    );`,
  [LANGGRAPH_FLOOR]: `
    export { StateGraph } from '@langchain/langgraph';
    export { ToolNode } from '@langchain/langgraph/prebuilt';
    export { ChatOpenAI } from '@langchain/openai';`,
};

/**
 * The agent's INIT floor as a function: a handler that imports only what the agent requires (LangGraph's
 * `StateGraph` and `ToolNode`, LangChain's `ChatOpenAI`), bundled as the functions are, for INIT under the
 * runtime interface client beside the agent's (issue #18: the agent's INIT ≤ this + 40 ms).
 */
export async function bundleAgentInitFloor(): Promise<string> {
  const dir = join(DIR, 'agent-init-floor');
  await bundleFunction(
    {
      contents: `import { StateGraph } from '@langchain/langgraph';
        import { ToolNode } from '@langchain/langgraph/prebuilt';
        import { ChatOpenAI } from '@langchain/openai';
        export const handler = async () => [StateGraph, ToolNode, ChatOpenAI].length;`,
    },
    dir,
    { sourcemap: false },
  );
  return dir;
}

/** Cold import p50 of each floor part. */
export async function measureFloors(runs: number): Promise<{ part: string; coldImportMsP50: number }[]> {
  const figures: { part: string; coldImportMsP50: number }[] = [];
  for (const [i, [part, contents]] of Object.entries(FLOOR_PARTS).entries()) {
    const dir = join(DIR, 'floor', String(i));
    await bundleFunction({ contents }, dir, { sourcemap: false });
    figures.push({ part, coldImportMsP50: coldImportMs(join(dir, 'index.mjs'), runs) });
  }
  return figures;
}

/** The agent's bundle and its LangGraph floor as they were before zod's locales were left out. */
export interface BeforeZodLocales {
  agentKb: number;
  agentColdImportMsP50: number;
  floorColdImportMsP50: number;
}

/**
 * The same bundles with every zod locale kept (issue #18: lower the floor, showing it before and after):
 * the agent's and the LangGraph floor part's.
 */
export async function measureBeforeZodLocales(runs: number): Promise<BeforeZodLocales> {
  const agent = join(DIR, 'before', 'agent');
  await bundleFunction({ path: join(ROOT, 'functions', 'agent.ts') }, agent, { zodLocales: 'all' });
  const floor = join(DIR, 'before', 'floor');
  await bundleFunction({ contents: FLOOR_PARTS[LANGGRAPH_FLOOR] as string }, floor, { sourcemap: false, zodLocales: 'all' });
  return {
    agentKb: round(statSync(join(agent, 'index.mjs')).size / 1024, 1),
    agentColdImportMsP50: coldImportMs(join(agent, 'index.mjs'), runs),
    floorColdImportMsP50: coldImportMs(join(floor, 'index.mjs'), runs),
  };
}
