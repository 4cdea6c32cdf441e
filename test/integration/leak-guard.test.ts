// The leak guard itself: it notices a sentinel in a log line, a console call and a response (head or a
// body split across writes), so a clean run of the suite means something.
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '#shared/logger.ts';
import { guard, leaks, watchResponses } from '#test/helpers/leak-guard.ts';
import { SENTINELS } from '#test/helpers/sentinels.ts';

beforeAll(() => (guard.silenceLeaks = true));
afterAll(() => (guard.silenceLeaks = false));
afterEach(() => {
  leaks.length = 0; // this file leaks on purpose; the setup's check still runs after it
});

describe('leak guard', () => {
  it('records a sentinel in a Powertools log line and in a console call', () => {
    logger.debug('oops', { token: SENTINELS.ionosApiToken });
    console.warn('oops', SENTINELS.tavilyApiKey);
    expect(leaks.map((l) => l.split(':')[0])).toEqual(['process output', 'console.warn']);
  });

  it('records a sentinel in a response header and in a body split across two writes', async () => {
    const half = SENTINELS.studioApiKey.length / 2;
    const server = createServer((req, res) => {
      if (req.url === '/head') return void res.writeHead(200, { 'x-echo': SENTINELS.ionosApiToken }).end();
      res.write(SENTINELS.studioApiKey.slice(0, half));
      res.end(SENTINELS.studioApiKey.slice(half));
    });
    watchResponses(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await (await fetch(`${base}/head`)).text();
    await (await fetch(`${base}/body`)).text();
    server.close();
    expect(leaks.some((l) => l.startsWith('response head'))).toBe(true);
    expect(leaks.some((l) => l.startsWith('response body'))).toBe(true);
  });

  it('stays empty for ordinary output', () => {
    logger.info('nothing secret here');
    expect(leaks).toEqual([]);
  });
});
