// The bundling every function shares (infra/bundling/bundle.ts): what it leaves out of the agent's bundle,
// and the proof that nothing bundled needs it. The shipped bundles themselves run in bundles.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '#infra/bundling/bundle.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const outdir = mkdtempSync(join(tmpdir(), 'ionos-backend-bundling-'));
let meta: Metafile;
let bundle: string;

beforeAll(async () => {
  meta = await bundleFunction({ path: join(ROOT, 'functions/agent.ts') }, outdir);
  bundle = readFileSync(join(outdir, 'index.mjs'), 'utf8');
}, 60_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("the agent's bundle", () => {
  it("carries zod's English messages and no other locale", () => {
    const locales = Object.keys(meta.inputs).filter((path) => path.includes('zod/v4/locales/'));
    expect(locales).toEqual([expect.stringMatching(/zod\/v4\/locales\/en\.js$/)]);
    expect(bundle).not.toContain('ltige Eingabe'); // German, from locales/de.js
    expect(bundle).toContain('Invalid input');
  });

  it("has no input that reads zod's locales namespace, so leaving it out changes nothing a run calls", () => {
    // Outside zod, no bundled module mentions `locales` at all; inside it, only the namespace re-exports
    // (replaced by infra/bundling/zod-locales.js) and the imports of the English messages (v4's and v3's) do.
    const readers = Object.keys(meta.inputs).filter((path) => {
      const source = readFileSync(join(ROOT, path), 'utf8');
      if (!/\blocales\b/.test(source)) return false;
      if (!path.includes('node_modules/zod/')) return true;
      const uses = source.split('\n').filter((line) => /\blocales\b/.test(line) && !line.trimStart().startsWith('//'));
      return uses.some(
        (line) => !/^export \* as locales from "\.\.\/locales\/index\.js";$|from "\.\.?\/locales\/en\.js";$/.test(line.trim()),
      );
    });
    expect(readers.filter((path) => !path.startsWith('infra/bundling/'))).toEqual([]);
  });
});
