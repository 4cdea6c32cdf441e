/**
 * Bundles each function as the stack does (esbuild, ESM, minified, `@aws-sdk/*` external) and measures the
 * bundle size and the cold import of the bundle in a fresh Node process (what Lambda's init does).
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/** Bundles and measures every function; `runs` cold imports each. */
export async function measureBundles(runs: number): Promise<BundleFigures[]> {
  // Inside the project, so the bundles' external `@aws-sdk/*` imports resolve as the Lambda runtime provides them.
  const dir = join(ROOT, 'node_modules', '.cache', 'bench-bundles');
  mkdirSync(dir, { recursive: true });
  const figures: BundleFigures[] = [];
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
    // As in the deployed asset: the function's folder with its index.mjs (the runtime loads index.handler).
    const outfile = join(dir, name, 'index.mjs');
    await build({
      entryPoints: [join(ROOT, 'functions', `${name}.ts`)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      outfile,
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      logLevel: 'silent',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', IMPORT_PROBE, outfile], {
        env: { ...process.env, STUDIO_MODELS: '{}', POWERTOOLS_LOG_LEVEL: 'ERROR' },
      });
      samples.push(Number(out.toString().trim()));
    }
    figures.push({
      name,
      dir: join(dir, name),
      bundleKb: round(statSync(outfile).size / 1024, 1),
      coldImportMsP50: round(percentile(samples, 50)),
    });
  }
  return figures;
}
