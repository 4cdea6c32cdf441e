import { describe, expect, it } from 'vitest';
import { FUNCTIONS, matchRoute, ROUTES } from '#shared/routes.ts';

describe('route table', () => {
  it('names only functions that exist in FUNCTIONS', () => {
    for (const route of ROUTES) expect(Object.keys(FUNCTIONS)).toContain(route.function);
  });

  it('matches GET /studio/models with no path parameters', () => {
    expect(matchRoute('GET', '/studio/models')).toEqual({ route: { method: 'GET', path: '/studio/models', function: 'studio-models' }, pathParameters: null });
    expect(matchRoute('GET', '/studio/models/')).toMatchObject({ route: { function: 'studio-models' } });
  });

  it('reports the allowed methods when only the path matches', () => {
    expect(matchRoute('DELETE', '/studio/models')).toEqual({ allowed: ['GET'] });
  });

  it('finds nothing for unknown paths', () => {
    expect(matchRoute('GET', '/studio')).toBeUndefined();
    expect(matchRoute('GET', '/studio/models/extra')).toBeUndefined();
  });
});
