import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#shared/errors.ts';
import { routeModel } from '#shared/models/route-model.ts';
import { parseStudioModelMap, parseStudioModelMapJson } from '#shared/models/studio-map.ts';

describe('routeModel', () => {
  it('routes a UUID to Studio, normalised to lower case', () => {
    expect(routeModel('7B19CAE7-0983-4A6B-A03C-A647DB48F00B', 'x-model-id')).toEqual({
      target: 'studio',
      modelId: '7b19cae7-0983-4a6b-a03c-a647db48f00b',
    });
  });

  it.each([
    'mistralai/Mistral-Small-24B-Instruct',
    'openai/gpt-oss-120b',
    'BAAI/bge-m3',
    'black-forest-labs/FLUX.1-schnell',
    'meta-llama/Llama-3.3-70B-Instruct',
  ])('routes %s to the Hub', (id) => expect(routeModel(id, 'model')).toEqual({ target: 'hub', modelId: id }));

  it.each([
    ['', 'empty'],
    ['gpt-4', 'no provider'],
    ['a/b/c', 'two slashes'],
    ['../etc/passwd', 'path traversal'],
    ['mistralai/../../x', 'dots to climb'],
    ['mistral ai/x', 'space'],
    ['mistralai/x\r\nX-Injected: 1', 'header injection'],
    ['/x', 'empty provider'],
    [`p/${'a'.repeat(200)}`, 'too long'],
    ['7b19cae7-0983-4a6b-a03c-a647db48f00', 'short UUID'],
  ])('rejects %j (%s) with a 400 naming both forms', (id) => {
    try {
      routeModel(id, 'x-model-id');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BadRequestError);
      const e = err as BadRequestError;
      expect(e.param).toBe('x-model-id');
      expect(e.message).toContain('provider/name');
      expect(e.message).toContain('UUID');
    }
  });

  it('rejects non-strings', () => {
    expect(() => routeModel(42, 'model')).toThrow(BadRequestError);
    expect(() => routeModel(undefined, 'model')).toThrow(/Invalid model/);
  });
});

describe('Studio model map', () => {
  it('accepts names mapped to UUIDs', () => {
    expect(parseStudioModelMap({ 'qwen-gdpr': '7b19cae7-0983-4a6b-a03c-a647db48f00b' }, 'STUDIO_MODELS')).toEqual({
      'qwen-gdpr': '7b19cae7-0983-4a6b-a03c-a647db48f00b',
    });
    expect(parseStudioModelMapJson('{}', 'STUDIO_MODELS')).toEqual({});
  });

  it('names every entry whose value is not a UUID', () => {
    expect(() => parseStudioModelMap({ ok: '7b19cae7-0983-4a6b-a03c-a647db48f00b', bad: 'uuid-1234', worse: 7 }, 'STUDIO_MODELS')).toThrow(
      /STUDIO_MODELS: entry "bad": "uuid-1234" is not a UUID.*entry "worse": 7 is not a UUID/,
    );
  });

  it('rejects a non-object and invalid JSON with the source in the message', () => {
    expect(() => parseStudioModelMap(['x'], 'studioModels')).toThrow(/^studioModels: must be a JSON object/);
    expect(() => parseStudioModelMapJson('{bad', 'STUDIO_MODELS')).toThrow(/^STUDIO_MODELS: not valid JSON/);
  });
});
