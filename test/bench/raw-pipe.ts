/**
 * The bench's reference: the thinnest possible proxy, a raw `node:http` pipe to the simulator with the
 * token injected and a keep-alive agent. Run as its own process: `node raw-pipe.ts <upstream> <token>`;
 * prints `listening <url>`.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

const [upstream = '', token = ''] = process.argv.slice(2);
const target = new URL(upstream);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  const headers = { ...req.headers, host: target.host, authorization: `Bearer ${token}` };
  const out = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
});
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.on('SIGINT', () => server.close(() => process.exit(0)));
