// A real browser against `npm start`: a small page using the LangGraph SDK's React `useStream` hook (the
// hook LangChain's Agent Chat UI is built on; that app itself is not run here)
// (test/browser/thread-page.ts, bundled here with esbuild) in Debian's headless Chromium, driven by
// puppeteer-core. It sends a message, shows the streamed answer, and after a reload shows the thread's
// history read back from the API. Chromium is a Debian package (`apt-get install chromium`); `.ci/run`
// installs it and sets REQUIRE_BROWSER, so there the test fails rather than skips without it.
import { build } from 'esbuild';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER is set but there is no Chromium at ${CHROMIUM}`);
if (!available) console.warn(`threads-browser: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const KEY = 'browser-thread-key-0123456789';

let sim: Simulator;
let api: SpawnedApi;
let page: Server;
let pageUrl: string;
let browser: Browser;
let profile: string;

beforeAll(async () => {
  if (!available) return;
  const bundle = await build({
    entryPoints: [new URL('../browser/thread-page.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  page = createServer((req, res) => {
    if (req.url?.startsWith('/page.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return void res.end(script);
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><body><div id="root"></div><script type="module" src="/page.js"></script></body></html>');
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
  // The page is another origin: the API's CORS allowlist must name it, as for any deployed UI.
  api = await spawnApi(sim, { LOCAL_API_KEYS: KEY, ALLOWED_ORIGINS: pageUrl });
  profile = mkdtempSync(join(tmpdir(), 'chromium-'));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
    ],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await api?.stop();
  await sim?.close();
  page?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

describe.skipIf(!available)('an agent UI with useStream, in Chromium', () => {
  it('sends a message, shows the streamed answer, and shows the thread again after a reload', async () => {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (err) => errors.push(String(err)));
    await tab.goto(`${pageUrl}/?api=${encodeURIComponent(api.url)}&key=${KEY}`);
    await tab.waitForSelector('#send');
    await tab.type('#draft', 'Hello from the browser');
    await tab.click('#send');
    const answer = 'Simulated answer from meta-llama/Llama-3.3-70B-Instruct: you said "Hello from the browser".';
    await tab.waitForFunction(
      (text: string) => document.querySelector('#messages li.ai')?.textContent === text,
      { timeout: 20_000 },
      answer,
    );
    await tab.waitForFunction(() => document.querySelector('#status')?.textContent === 'idle');
    const shown = () => tab.$$eval('#messages li', (items) => items.map((li) => `${li.className}: ${li.textContent}`));
    expect(await shown()).toEqual(['human: Hello from the browser', `ai: ${answer}`]);
    const url = tab.url();
    expect(url).toMatch(/thread=[0-9a-f-]{36}/);

    await tab.reload();
    await tab.waitForFunction(() => document.querySelectorAll('#messages li').length === 2, { timeout: 20_000 });
    expect(await shown()).toEqual(['human: Hello from the browser', `ai: ${answer}`]);
    expect(await tab.$('#error')).toBeNull();
    expect(errors).toEqual([]);
    await tab.close();
  });
});

declare const document: {
  querySelector(s: string): { textContent: string | null } | null;
  querySelectorAll(s: string): { length: number };
};
