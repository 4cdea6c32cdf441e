/** Reads an HTTP request body for the local servers, bounded. */
import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError } from '#shared/errors.ts';

/**
 * Reads the whole body. Past `maxBytes` the rest is read and dropped, so the client can finish sending
 * and still read the answer; then it rejects with PayloadTooLargeError.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => (size > maxBytes ? reject(new PayloadTooLargeError(maxBytes)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}
