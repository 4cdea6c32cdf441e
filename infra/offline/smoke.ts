/**
 * `npm run smoke -- --url http://localhost:8000 --api-key <key> [--model provider/name]`: the scheduled
 * smoke checks against any base URL. With `IONOS_API_TOKEN` set, also how long that token has left.
 * Exits 1 when a check fails.
 */
import { parseArgs } from 'node:util';
import { tokenDaysToExpiry } from '#shared/ionos/token-expiry.ts';
import { runSmokeChecks, tokenExpiryCheck } from '#shared/smoke/checks.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:8000' },
    'api-key': { type: 'string', default: process.env.SMOKE_API_KEY ?? '' },
    model: { type: 'string', default: 'mistralai/Mistral-Small-24B-Instruct' },
    timeout: { type: 'string', default: '60000' },
  },
});

const results = await runSmokeChecks({
  baseUrl: values.url,
  apiKey: values['api-key'],
  model: values.model,
  timeoutMs: Number(values.timeout),
});
const token = process.env.IONOS_API_TOKEN;
if (token !== undefined && token !== '') results.push(tokenExpiryCheck(tokenDaysToExpiry(token)));
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(20)} ${String(r.ms).padStart(6)} ms  ${r.detail}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`smoke: ${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
