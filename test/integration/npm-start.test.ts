// `npm start` as a user runs it: a real process, offline against the simulator, stopped with Ctrl-C.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

function start(env: Record<string, string | undefined>): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  url: Promise<string>;
} {
  const clean = { ...process.env, IONOS_API_TOKEN: undefined, IONOS_SECRET_ID: undefined, STUDIO_MODELS: undefined, PORT: '0', ...env };
  const child = spawn(process.execPath, ['infra/offline/start.ts'], { cwd: ROOT, env: clean as NodeJS.ProcessEnv });
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API listening on (http:\/\/\S+);/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => reject(new Error(`exited early: ${out}`)));
  });
  url.catch(() => undefined); // a test that expects an early exit does not await the URL
  return { child, output: () => out, url };
}

describe('npm start', () => {
  it('runs offline against the simulator, says so, serves the API and stops cleanly on Ctrl-C', async () => {
    const { child, output, url } = start({});
    const base = await url;
    expect(output()).toMatch(/No IONOS credentials configured .*running offline against the IONOS simulator at http:\/\/127\.0\.0\.1:\d+/);
    const models = (await (await fetch(`${base}/studio/models`)).json()) as Record<string, string>;
    expect(Object.keys(models)).toContain('qwen-gdpr-demo');
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it("runs the README's Quickstart as shown: the curl requests answer as printed, the OpenAI snippet prints the answer", async () => {
    const { child, url } = start({});
    const base = await url;
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const quickstart = readme.slice(readme.indexOf('## Quickstart'), readme.indexOf('## Architecture'));
    // Each curl with its printed answer: the answer's start (up to the first "…") is what the server says.
    const shell = [...quickstart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string).find((b) => b.startsWith('curl')) ?? '';
    // Each curl (with its continuation lines) and the comment line right after it: what it prints.
    const pairs: [string, string][] = [];
    const lines = shell.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]?.startsWith('curl')) continue;
      let call = lines[i] as string;
      while (call.endsWith('\\')) call = `${call.slice(0, -1)} ${lines[++i]?.trim()}`;
      const next = lines[i + 1] ?? '';
      if (next.startsWith('# ')) pairs.push([call, next.slice(2)]);
    }
    expect(pairs.length).toBeGreaterThanOrEqual(4);
    for (const [call, printed] of pairs) {
      const args = call.replace(/localhost:8000/g, base.replace('http://', ''));
      const out = execFileSync('sh', ['-c', args], { encoding: 'utf8' });
      expect(out.startsWith(printed.split('…')[0] as string), `${args}\nprinted ${out.slice(0, 300)}`).toBe(true);
    }
    const snippet = /```js\n([\s\S]*?)```/.exec(quickstart)?.[1] ?? '';
    const file = join(ROOT, 'node_modules', '.cache', `quickstart-${process.pid}.mjs`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, snippet.replace('http://localhost:8000', base));
    try {
      const printed = execFileSync(process.execPath, [file], { encoding: 'utf8' });
      expect(printed.trim()).toBe(/\/\/ (.+)$/m.exec(snippet.split('console.log')[1] ?? '')?.[1]);
    } finally {
      rmSync(file, { force: true });
    }
    child.kill('SIGINT');
    await once(child, 'exit');
  });

  it('uses the real IONOS settings when a token is configured, without a simulator', async () => {
    const { child, output, url } = start({ IONOS_API_TOKEN: 'configured', STUDIO_MODELS: '{}' });
    const base = await url;
    expect(output()).not.toContain('simulator');
    expect(await (await fetch(`${base}/studio/models`)).json()).toEqual({});
    child.kill('SIGTERM');
    expect(((await once(child, 'exit')) as [number | null])[0]).toBe(0);
  });

  it('refuses to start with a Studio map entry that is not a UUID, naming the entry', async () => {
    const { child, output } = start({ STUDIO_MODELS: '{"qwen":"uuid-1234"}' });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output()).toContain('STUDIO_MODELS: entry "qwen": "uuid-1234" is not a UUID');
  });

  it('says loudly when its embedded store dies, starts it again, and accounts usage again', async () => {
    const key = 'storeDeathKey0123456789abcdef';
    const { child, output, url } = start({
      LOCAL_API_KEYS: `frank:${key}`,
      LOCAL_BUDGETS: JSON.stringify({ frank: { tokensPerDay: 1_000_000 } }),
    });
    const base = await url;
    const pid = Number(/in a child process, pid (\d+)\)/.exec(output())?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await vi.waitFor(() => expect(output()).toContain('is running again'), { timeout: 10_000, interval: 100 });
    expect(output()).toMatch(
      new RegExp(
        `embedded DynamoDB store \\(pid ${pid}\\) stopped \\(signal SIGKILL\\): budgets, the contract limiter and the usage ledger were not working`,
      ),
    );
    const chat = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mistralai/Mistral-Small-24B-Instruct', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(chat.status).toBe(200);
    await vi.waitFor(
      async () => {
        const usage = (await (await fetch(`${base}/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
          today: { requests: number };
        };
        expect(usage.today.requests).toBe(1);
      },
      { timeout: 5_000, interval: 100 },
    );
    child.kill('SIGINT');
    expect(((await once(child, 'exit')) as [number | null])[0]).toBe(0);
  });
});
