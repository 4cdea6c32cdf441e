/**
 * The import graph has no circle: part of `npm run lint`. Reads every TypeScript file of the project,
 * resolves its imports (relative paths and the `#shared/*`-style aliases of package.json, type-only imports
 * included: a type circle is still a knot for the reader) and prints each strongly connected group of files
 * that import each other; exits 1 when there is one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCES = ['shared', 'functions', 'infra', 'test'];
const ALIASES = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { imports: Record<string, string> }).imports;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : filesUnder(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** The project file an import specifier names, or undefined for a package. */
function resolveImport(from: string, specifier: string): string | undefined {
  let target: string | undefined;
  if (specifier.startsWith('.')) target = resolve(dirname(from), specifier);
  for (const [alias, path] of Object.entries(ALIASES)) {
    const prefix = alias.replace('*', '');
    if (specifier.startsWith(prefix)) target = join(ROOT, path.replace('*', specifier.slice(prefix.length)));
  }
  return target !== undefined && existsSync(target) ? target : undefined;
}

/** Each file's project imports. */
export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pattern =
    /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const file of SOURCES.flatMap((dir) => filesUnder(join(ROOT, dir)))) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(pattern)].map((m) => resolveImport(file, (m[1] ?? m[2] ?? m[3]) as string));
    graph.set(file, [...new Set(targets.filter((t): t is string => t !== undefined))]);
  }
  return graph;
}

/** Groups of files that import each other (Tarjan's strongly connected components of more than one file, or a file importing itself). */
export function importCycles(graph = importGraph()): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      group.push(relative(ROOT, member));
    } while (member !== file);
    if (group.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(group.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cycles = importCycles();
  for (const group of cycles) console.error(`import circle: ${group.join(' ↔ ')}`);
  if (cycles.length > 0) process.exit(1);
}
