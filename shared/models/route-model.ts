/**
 * Model-id routing: a UUID names a fine-tuned IONOS Studio model, `provider/name` a Hub model.
 * Both the agent (`x-model-id`) and the proxy (body `model`) route through here.
 */
import { BadRequestError, NotFoundError } from '#shared/errors.ts';
import { isHubModelId, isStudioModelId, MAX_HUB_MODEL_ID_LENGTH } from '#shared/models/model-ids.ts';
import type { StudioModelMap } from '#shared/models/studio-map.ts';

/** Where a model id sends the request. */
export type ModelRoute = { target: 'studio'; modelId: string } | { target: 'hub'; modelId: string };

/**
 * Routes a model id: UUID → Studio, `provider/name` → Hub.
 *
 * Studio UUIDs are an allowlist: only the fine-tuned models this deployment offers (the map that
 * `GET /studio/models` lists) are sent to Studio, so a client cannot spend the Studio contract on models the
 * operator did not choose, nor probe the organisation's models.
 * @param param names the field in error messages (`x-model-id` or `model`).
 * @param studioModels the offered Studio models; omit where Studio is never reached.
 * @throws BadRequestError naming both accepted forms for anything else; NotFoundError for a UUID not offered.
 */
export function routeModel(value: unknown, param: string, studioModels?: StudioModelMap): ModelRoute {
  if (typeof value === 'string') {
    const id = value.trim();
    if (isStudioModelId(id)) {
      const modelId = id.toLowerCase();
      if (studioModels !== undefined && !Object.values(studioModels).some((uuid) => uuid.toLowerCase() === modelId)) {
        throw new NotFoundError(
          `The fine-tuned model ${modelId} is not offered by this API. GET /studio/models lists the fine-tuned models you can use.`,
          { code: 'model_not_found', param },
        );
      }
      return { target: 'studio', modelId };
    }
    if (isHubModelId(id)) return { target: 'hub', modelId: id };
  }
  throw new BadRequestError(
    `Invalid ${param}: expected a Hub model id of the form provider/name (letters, digits, . _ - :, at most ` +
      `${MAX_HUB_MODEL_ID_LENGTH} characters, e.g. mistralai/Mistral-Small-24B-Instruct) or a Studio model UUID ` +
      `(e.g. 7b19cae7-0983-4a6b-a03c-a647db48f00b).`,
    { param, code: 'invalid_model' },
  );
}
