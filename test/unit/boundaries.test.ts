// The layout's import boundaries are lint rules (eslint.config.js); this proves they bite, with ESLint itself
// on the real config, for a deliberate wrong import in each kind of file. No file is changed on disk.
// Only the boundary rule runs, without type information: it reads import strings, and building the
// TypeScript program for typed rules took 35 s on a loaded CI machine for nothing this test looks at.
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});

async function restrictedImports(file: string, extraImport: string): Promise<string[]> {
  const text = `${readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')}\n${extraImport}\n`;
  const [result] = await eslint.lintText(text, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['shared/models/route-model.ts', "import '#infra/offline/api-gateway/server.ts';", 'shared/ never imports infra/'],
    ['shared/models/route-model.ts', "import '../../functions/agent.ts';", 'shared/ never imports infra/'],
    ['shared/http/event.ts', "import '#shared/ionos/upstreams.ts';", 'shared/http/ is the generic HTTP layer'],
    ['shared/http/event.ts', "import '#test/helpers/jwt.ts';", 'shared/ never imports'],
    ['functions/agent.ts', "import './hub-proxy.ts';", 'A function never imports another function'],
    ['functions/agent.ts', "import '#infra/stack.ts';", 'A function never imports infra/'],
    ['infra/stack.ts', "import '#infra/offline/ionos-simulator/catalogue.ts';", 'The CDK app never imports infra/offline/'],
    ['infra/constructs/api.ts', "import '../offline/api-gateway/server.ts';", 'The CDK app never imports infra/offline/'],
  ])('%s: refuses %s', async (file, extraImport, message) => {
    expect(await restrictedImports(file, extraImport)).toEqual([expect.stringContaining(message)]);
  });

  it('lets the allowed directions through', async () => {
    expect(await restrictedImports('functions/agent.ts', "import '#shared/ionos/upstreams.ts';")).toEqual([]);
    expect(await restrictedImports('shared/ionos/hub-client.ts', "import '#shared/http/event.ts';")).toEqual([]);
    expect(await restrictedImports('infra/offline/start.ts', "import '#infra/offline/ionos-simulator/env.ts';")).toEqual([]);
  });
});
