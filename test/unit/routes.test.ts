import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isStreamingHandler } from '#infra/offline/api-gateway/awslambda-shim.ts';
import { fillPath, FUNCTIONS, matchRoute, operationOf, ROUTES, type FunctionName } from '#shared/routes.ts';

describe('route table', () => {
  it('names only functions that exist in FUNCTIONS', () => {
    for (const route of ROUTES) expect(Object.keys(FUNCTIONS)).toContain(route.function);
  });

  it('matches GET /studio/models with no path parameters', () => {
    expect(matchRoute('GET', '/studio/models')).toEqual({
      route: { method: 'GET', path: '/studio/models', function: 'studio-models' },
      pathParameters: null,
    });
    expect(matchRoute('GET', '/studio/models/')).toMatchObject({ route: { function: 'studio-models' } });
  });

  it('reports the allowed methods when only the path matches', () => {
    expect(matchRoute('DELETE', '/studio/models')).toEqual({ allowed: ['GET'] });
  });

  it('finds nothing for unknown paths', () => {
    expect(matchRoute('GET', '/studio')).toBeUndefined();
    expect(matchRoute('GET', '/studio/models/extra')).toBeUndefined();
  });

  it('gives hub-proxy and responses an operation for each of their routes, and fills a resource with its path parameters', () => {
    for (const route of ROUTES.filter((r) => r.function === 'hub-proxy' || r.function === 'responses'))
      expect(route.operation).toBeDefined();
    expect(operationOf('/v1/responses/{id}')).toBe('response-item');
    expect(operationOf('/models/{modelPath+}')).toBe('legacy-predict');
    expect(operationOf('/v1/{proxy+}')).toBe('proxy');
    expect(fillPath('/v1/{proxy+}', { proxy: 'chat/completions' })).toBe('/v1/chat/completions');
    expect(fillPath('/v1/images/generations', null)).toBe('/v1/images/generations');
    expect(fillPath('/threads/{thread_id}/state/{checkpoint_id}', { thread_id: 't1', checkpoint_id: 'c2' })).toBe('/threads/t1/state/c2');
    expect(fillPath('/not/{a}/in/the/table', {})).toBe('/not//in/the/table');
  });

  // The deployed integration's transfer mode comes from FUNCTIONS; a handler built in the other mode would
  // pass every local test and break once deployed.
  it.each(Object.keys(FUNCTIONS) as FunctionName[])('exports from functions/%s.ts a handler in the mode the table says', async (name) => {
    const { handler } = (await import(`../../functions/${name}.ts`)) as { handler: unknown };
    expect(isStreamingHandler(handler)).toBe(FUNCTIONS[name].streaming);
  });

  // callsIonos decides who is throttled to the contract, gets the consumers' settings and is walked by the
  // pipeline's coverage test: it must say the truth, and the pipeline is how a function reaches IONOS.
  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    'functions/%s.ts creates the pipeline exactly when the table says it calls IONOS',
    (name) => {
      const source = readFileSync(new URL(`../../functions/${name}.ts`, import.meta.url), 'utf8');
      expect(source.includes('createPipeline('), name).toBe(FUNCTIONS[name].callsIonos);
    },
  );
});
