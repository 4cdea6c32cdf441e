/**
 * Model-id routing: a UUID names a fine-tuned IONOS Studio model, `provider/name` a Hub model.
 * Both the agent (`x-model-id`) and the proxy (body `model`) route through here.
 */
import { validate as isUuid } from 'uuid';
import { BadRequestError } from '#shared/errors.ts';

/** Longest Hub model id accepted; IONOS ids are well below this. */
export const MAX_HUB_MODEL_ID_LENGTH = 128;

// One slash, each side starting with a letter or digit, then letters, digits, dot, underscore, dash
// (and colon after the slash, as in version tags). Nothing that could change a URL or a header.
const HUB_MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** Where a model id sends the request. */
export type ModelRoute = { target: 'studio'; modelId: string } | { target: 'hub'; modelId: string };

/** True for a canonical hyphenated UUID, the form Studio shows and the frontends send. */
export function isStudioModelId(value: string): boolean {
  return isUuid(value);
}

/**
 * Routes a model id: UUID → Studio, `provider/name` → Hub.
 * @param param names the field in error messages (`x-model-id` or `model`).
 * @throws BadRequestError naming both accepted forms for anything else.
 */
export function routeModel(value: unknown, param: string): ModelRoute {
  if (typeof value === 'string') {
    const id = value.trim();
    if (isStudioModelId(id)) return { target: 'studio', modelId: id.toLowerCase() };
    if (id.length <= MAX_HUB_MODEL_ID_LENGTH && HUB_MODEL_ID.test(id)) return { target: 'hub', modelId: id };
  }
  throw new BadRequestError(
    `Invalid ${param}: expected a Hub model id of the form provider/name (letters, digits, . _ - :, at most ` +
      `${MAX_HUB_MODEL_ID_LENGTH} characters, e.g. mistralai/Mistral-Small-24B-Instruct) or a Studio model UUID ` +
      `(e.g. 7b19cae7-0983-4a6b-a03c-a647db48f00b).`,
    { param, code: 'invalid_model' },
  );
}
