/**
 * The embedded store's own process (see dynamodb.ts): dynalite listening on loopback. Tells its parent the
 * port it listens on; ends when the parent stops it or goes away (the IPC channel closes), so an npm start
 * that was killed leaves no store behind.
 */
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (err) => process.send?.({ error: err.message }));
server.listen(Number(process.env.EMBEDDED_DYNAMO_PORT ?? 0), '127.0.0.1', () =>
  process.send?.({ port: (server.address() as AddressInfo).port }),
);
process.on('disconnect', () => process.exit(0));
