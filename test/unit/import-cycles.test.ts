// The import-circle check that `npm run lint` runs finds a circle when there is one, and none in the project.
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph } from '#test/lint/import-cycles.ts';

describe('import circles', () => {
  it('finds a circle of two files, of three, and a file importing itself', () => {
    const graph = new Map([
      ['/r/a.ts', ['/r/b.ts']],
      ['/r/b.ts', ['/r/a.ts', '/r/c.ts']],
      ['/r/c.ts', []],
      ['/r/d.ts', ['/r/e.ts']],
      ['/r/e.ts', ['/r/f.ts']],
      ['/r/f.ts', ['/r/d.ts']],
      ['/r/g.ts', ['/r/g.ts']],
    ]);
    expect(importCycles(graph).map((group) => group.map((f) => f.split('/').at(-1)))).toEqual([
      ['a.ts', 'b.ts'],
      ['d.ts', 'e.ts', 'f.ts'],
      ['g.ts'],
    ]);
  });

  it('finds none in the project, whose graph it reads (aliases and relative imports resolved)', () => {
    const graph = importGraph();
    const routeModel = [...graph].find(([file]) => file.endsWith('shared/models/route-model.ts'))?.[1] ?? [];
    expect(routeModel.some((t) => t.endsWith('shared/models/model-ids.ts'))).toBe(true);
    expect(importCycles(graph)).toEqual([]);
  });
});
