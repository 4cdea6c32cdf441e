/**
 * The tables of docs/configuration.md, rendered from where the settings are defined: the functions'
 * runtime settings (shared/settings.ts), the stack's own keys (infra/config.ts, defaults from cdk.json) and
 * `npm start`'s (infra/offline/local-settings.ts).
 */
import { readFileSync } from 'node:fs';
import { STACK_KEYS } from '#infra/config.ts';
import { LOCAL_SETTINGS } from '#infra/offline/local-settings.ts';
import { deployKey, SETTING_DOCS, SETTINGS } from '#shared/settings.ts';

const code = (v: string) => `\`${v}\``;
const cell = (v: string) => v.replace(/\|/g, '\\|');
const SOURCE = { deploy: 'you, at deploy', stack: 'the stack', local: 'a local run' } as const;

/** The runtime settings table. */
export function renderRuntimeSettings(): string {
  const rows = SETTINGS.map((s) =>
    [
      code(s.name),
      s.unit,
      s.default === undefined ? '–' : code(s.default),
      SOURCE[s.source],
      s.source === 'deploy' ? code(deployKey(s.name)) : '–',
      s.readBy.join(', '),
      cell(`${SETTING_DOCS[s.name] ?? ''}${s.range === undefined ? '' : ` (${s.range})`}`),
    ].join(' | '),
  );
  return [
    '| variable | unit | default | set by | deploy key | read by | meaning |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}

/** The stack's own keys, with cdk.json's defaults. */
export function renderStackKeys(): string {
  const context = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> })
    .context;
  const rows = Object.entries(STACK_KEYS).map(
    ([key, about]) => `| ${code(key)} | ${code(JSON.stringify(context[key]) ?? '')} | ${cell(about)} |`,
  );
  return ['| key | default (cdk.json) | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** `npm start`'s own settings. */
export function renderLocalSettings(): string {
  const rows = LOCAL_SETTINGS.map((s) => `| ${code(s.name)} | ${s.default} | ${cell(s.about)} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
