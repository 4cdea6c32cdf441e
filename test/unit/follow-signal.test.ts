import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RequestAbortedError } from '#shared/errors.ts';
import { followSignal } from '#shared/http/follow-signal.ts';
import { upstreamFetch } from '#shared/http/upstream-fetch.ts';
import { hubUpstream } from '#shared/ionos/upstreams.ts';

describe('followSignal', () => {
  it('aborts the controller with the source reason, once', () => {
    const source = new AbortController();
    const follower = new AbortController();
    followSignal(follower, source.signal);
    expect(getEventListeners(source.signal, 'abort')).toHaveLength(1);
    const reason = new Error('the client closed the connection');
    source.abort(reason);
    expect(follower.signal.aborted).toBe(true);
    expect(follower.signal.reason).toBe(reason);
    expect(getEventListeners(source.signal, 'abort')).toHaveLength(0);
  });

  it('aborts at once for a source that has aborted already, and ignores a missing source', () => {
    const follower = new AbortController();
    followSignal(follower, AbortSignal.abort('gone'));
    expect(follower.signal.reason).toBe('gone');
    const alone = new AbortController();
    followSignal(alone, undefined)();
    expect(alone.signal.aborted).toBe(false);
  });

  it('stops following when told to, so a long-lived source keeps no listener', () => {
    const source = new AbortController();
    const follower = new AbortController();
    followSignal(follower, source.signal)();
    expect(getEventListeners(source.signal, 'abort')).toHaveLength(0);
    source.abort();
    expect(follower.signal.aborted).toBe(false);
  });
});

describe('an upstream attempt follows the request signal', () => {
  // A real node:http exchange, as the transport makes it: a buffered answer, then a stream that the request's
  // signal must still end after upstreamFetch has returned it.
  const withServer = async (run: (baseUrl: string) => Promise<void>) => {
    const server = createServer((req, res) => {
      if (req.url === '/v1/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"choices":[]}\n\n'); // and never ends
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  };

  it('leaves no listener on the request signal once each answer is read, however many attempts it makes', async () => {
    await withServer(async (baseUrl) => {
      const request = new AbortController();
      for (let i = 0; i < 15; i++) {
        const answer = await upstreamFetch(hubUpstream({ hubBaseUrl: baseUrl }), {
          path: '/v1/models',
          token: 'test-token',
          timeoutMs: 5_000,
          signal: request.signal,
        });
        expect(await answer.text()).toBe('{"ok":true}');
      }
      await new Promise((resolve) => setImmediate(resolve)); // the last exchange's close
      expect(getEventListeners(request.signal, 'abort')).toHaveLength(0);
    });
  });

  it('ends a stream it returned when the request signal aborts, and then lets go of the signal', async () => {
    await withServer(async (baseUrl) => {
      const request = new AbortController();
      const answer = await upstreamFetch(hubUpstream({ hubBaseUrl: baseUrl }), {
        path: '/v1/stream',
        token: 'test-token',
        timeoutMs: 5_000,
        signal: request.signal,
      });
      const reader = (answer.stream as ReadableStream<Uint8Array>).getReader();
      expect((await reader.read()).done).toBe(false);
      expect(getEventListeners(request.signal, 'abort')).toHaveLength(1);
      request.abort(new RequestAbortedError(new Error('the client left')));
      await expect(reader.read()).rejects.toThrow();
      expect(getEventListeners(request.signal, 'abort')).toHaveLength(0);
    });
  });
});
