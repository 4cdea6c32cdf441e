/**
 * A DynamoDB endpoint on loopback that misbehaves as DynamoDB can: `throttle` answers every call with
 * DynamoDB's ThrottlingException (HTTP 400, the SDK retries it, then gives up); `hang` accepts the call and
 * never answers (a store slower than any timeout). For the usage table's fault tests.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running faulty endpoint. */
export interface FaultyStore {
  endpoint: string;
  /** Calls received so far. */
  calls(): number;
  close(): Promise<void>;
}

/** Starts a faulty DynamoDB endpoint. */
export async function startFaultyStore(mode: 'throttle' | 'hang'): Promise<FaultyStore> {
  let calls = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    calls++;
    req.resume();
    req.on('end', () => {
      if (mode === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
          message: 'Rate of requests exceeds the allowed throughput.',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
