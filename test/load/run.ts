/**
 * `npm run load`: the load and soak suite at full size (64 connections, a 20,000-request soak, a burst
 * against the rate limit) through `npm start` on loopback. Prints the figures; exits 1 when an
 * expectation fails. LOAD_SIZE=short runs the size `npm test` uses.
 */
import { cpus } from 'node:os';
import { failures, formatReport, FULL, runLoadSuite, SHORT } from './scenarios.ts';

const sizes = process.env.LOAD_SIZE === 'short' ? SHORT : FULL;
console.log(`load ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores, Node ${process.version}`);
const report = await runLoadSuite(sizes);
for (const line of formatReport(report, sizes)) console.log(line);
const failed = failures(report);
for (const f of failed) console.log(`FAILED: ${f}`);
console.log(failed.length === 0 ? 'load: all expectations held' : `load: ${failed.length} expectation(s) failed`);
process.exitCode = failed.length === 0 ? 0 : 1;
