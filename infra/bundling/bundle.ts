/**
 * How every function is bundled, in one place: the stack (through CDK's local bundling, see
 * infra/constructs/backend-function.ts), the bench and the bundle tests all call {@link bundleFunction}.
 * esbuild, ESM for Node 24, minified, `@aws-sdk/*` left to the Lambda runtime, a `require` for CommonJS
 * dependencies, source maps without sources beside the bundle, and zod's locale packs left out.
 *
 * Run as a script, it bundles one function: `node infra/bundling/bundle.ts <entry.ts> <outdir>` (CDK's local
 * bundling is synchronous and esbuild's plugins need its asynchronous API, so the stack runs it this way).
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// ESM bundles still meet CommonJS dependencies that call require(); give them one.
const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * zod's `locales` namespace (error messages in 40-odd languages, ~260 KB minified, 15 % of the agent's bundle)
 * is exported by `zod/v4`, `zod/v4/core` and `zod/v4/mini`, so it lands in every bundle that imports one of
 * those namespaces whole, as LangChain does. Nothing bundled reads it (`test/infra/bundling.test.ts` checks
 * every input of the agent's bundle), and zod loads its English messages from `locales/en.js` itself; the
 * namespace keeps `en` (infra/bundling/zod-locales.js).
 */
const ZOD_LOCALES_EN_ONLY: Plugin = {
  name: 'zod-locales-en-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: join(ROOT, 'infra/bundling/zod-locales.js') } : undefined,
    );
  },
};

/** What to bundle: a function's entry file, or module text (the bench's floors). */
export type BundleEntry = { path: string } | { contents: string };

/** Options of one bundling; the defaults are the stack's. */
export interface BundleOptions {
  /** The source map beside the bundle (default true). */
  sourcemap?: boolean;
  /** `all` keeps every zod locale: the bench's "before", beside the stack's `en` (default). */
  zodLocales?: 'en' | 'all';
}

/**
 * Bundles `entry` to `<outdir>/index.mjs` (the runtime loads `index.handler`).
 * @returns esbuild's metafile (what each input adds to the bundle).
 */
export async function bundleFunction(
  entry: BundleEntry,
  outdir: string,
  { sourcemap = true, zodLocales = 'en' }: BundleOptions = {},
): Promise<Metafile> {
  const result = await build({
    ...('path' in entry ? { entryPoints: [entry.path] } : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts' } }),
    outfile: join(outdir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    // Mapping a stack trace back needs the mappings, not the original sources (the bulk of a map).
    sourcemap,
    sourcesContent: false,
    external: ['@aws-sdk/*'],
    plugins: zodLocales === 'en' ? [ZOD_LOCALES_EN_ONLY] : [],
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [entry, outdir] = process.argv.slice(2);
  if (entry === undefined || outdir === undefined) throw new Error('usage: node infra/bundling/bundle.ts <entry.ts> <outdir>');
  await bundleFunction({ path: entry }, outdir);
}
