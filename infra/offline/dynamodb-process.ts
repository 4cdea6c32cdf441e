/**
 * The embedded store's own thread (see dynamodb.ts): dynalite listening on loopback. It gets a thread, not
 * the API's event loop, because its per-call work would otherwise compete with the functions' (under load
 * the ledger's writes then time out). Posts the port it listens on; ends when the API terminates it.
 */
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const { port } = workerData as { port: number };
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (err) => parentPort?.postMessage({ error: err.message }));
server.listen(port, '127.0.0.1', () => parentPort?.postMessage({ port: (server.address() as AddressInfo).port }));
