/** The two forms of model id: a Hub model's `provider/name`, a fine-tuned Studio model's UUID. */
import { validate as isUuid } from 'uuid';

/** Longest Hub model id accepted; IONOS ids are well below this. */
export const MAX_HUB_MODEL_ID_LENGTH = 128;

// One slash, each side starting with a letter or digit, then letters, digits, dot, underscore, dash
// (and colon after the slash, as in version tags). Nothing that could change a URL or a header.
const HUB_MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** True for a Hub model id: `provider/name` in the safe charset, at most MAX_HUB_MODEL_ID_LENGTH long. */
export function isHubModelId(value: string): boolean {
  return value.length <= MAX_HUB_MODEL_ID_LENGTH && HUB_MODEL_ID.test(value);
}

/** True for a canonical hyphenated UUID, the form Studio shows and the frontends send. */
export function isStudioModelId(value: string): boolean {
  return isUuid(value);
}
