// The docs a newcomer reads stay true: every generated block equals its rendering (run `npm run docs`),
// every relative link of the README and docs/ resolves to a file, and every #anchor to a heading of it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED, pageText, withBlock } from '#test/docs/generated.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
const anchors = (text: string) => new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] as string)));

describe('the docs', () => {
  it.each(GENERATED.map((b) => [`${b.page} (${b.name})`, b] as const))('%s is up to date (npm run docs rewrites it)', (_, block) => {
    expect(pageText(block)).toBe(withBlock(block));
  });

  it.each(PAGES)('%s: every relative link resolves', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target as string)) continue; // http(s), mailto
      const [path, anchor] = (target as string).split('#');
      const file = path === '' ? join(ROOT, page) : join(ROOT, dirname(page), path as string);
      if (!existsSync(file)) broken.push(`${target} (no ${relative(ROOT, file)})`);
      else if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor))
        broken.push(`${target} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });

  it('the README stays a page a newcomer reads first', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(200);
  });
});
