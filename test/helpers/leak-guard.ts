/**
 * The leak guard, installed for every test file by test/setup.ts: it records any sentinel credential
 * (sentinels.ts) written to stdout or stderr, passed to `console`, or sent in a response of a watched
 * local API server (headers and body), and the setup fails the file when something was recorded.
 * Log output is scanned, then kept back unless `TEST_LOGS=1`, because the suite runs at DEBUG.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { format } from 'node:util';
import { SENTINEL_VALUES } from '#test/helpers/sentinels.ts';

/** Where each sentinel was seen. */
export const leaks: string[] = [];

/** Records the sentinels in `text`; @returns whether there was one. */
function scan(where: string, text: string): boolean {
  const found = SENTINEL_VALUES.some((value) => text.includes(value));
  if (found) leaks.push(`${where}: ${text.slice(0, 300)}`);
  return found;
}

/**
 * Set by the guard's own test, which leaks on purpose: a leak is recorded but not printed, so a passing run
 * shows no line that reads like a leaked key.
 */
export const guard = { silenceLeaks: false };

const showLogs = process.env.TEST_LOGS === '1';

/** Scans everything the process writes to stdout/stderr and every `console` call. */
export function guardProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      if (scan('process output', text) && guard.silenceLeaks) return true;
      // Powertools' JSON log lines: checked above, printed only on request.
      if (!showLogs && text.startsWith('{') && text.includes('"level":')) return true;
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      if (scan(`console.${method}`, format(...args)) && guard.silenceLeaks) return;
      original(...args);
    };
  }
}

/** Scans the status line headers and body bytes of every response `server` sends. */
export function watchResponses(server: Server): void {
  // First in line, so responses the server's own handler writes synchronously are seen too.
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    let tail = ''; // the end of the previous chunk, so a value split across two chunks is still found
    const seen = (chunk: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      scan('response body', tail + text);
      tail = text.slice(-64);
    };
    const { write, end, writeHead } = res;
    res.writeHead = ((...args: unknown[]) => {
      scan('response head', JSON.stringify(args));
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(res, args);
    }) as typeof res.writeHead;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      seen(chunk);
      return (write as (...a: unknown[]) => boolean).apply(res, [chunk, ...rest]);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      seen(chunk);
      scan('response headers', JSON.stringify(res.getHeaders()));
      return (end as (...a: unknown[]) => ServerResponse).apply(res, [chunk, ...rest]);
    }) as typeof res.end;
  });
}
