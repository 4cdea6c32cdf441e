/**
 * The fields of a proxied request body that the proxy checks before forwarding the body's bytes unchanged:
 * a JSON object, or for a multipart endpoint (image edits) its text fields, with at least one image file.
 */
import { BadRequestError } from '#shared/errors.ts';
import { parseJsonObject } from '#shared/http/event.ts';
import { readMultipart } from '#shared/http/multipart.ts';
import type { Endpoint } from '#shared/proxy/endpoints.ts';

/**
 * Reads the fields to check.
 * @throws BadRequestError for a body that is not what the endpoint takes.
 */
export async function requestFields(body: Buffer, contentType: string | undefined, endpoint: Endpoint): Promise<Record<string, unknown>> {
  if (endpoint.multipart !== true) return parseJsonObject(body.toString('utf8'));
  const { fields, files } = await readMultipart(body, contentType);
  if (!files.some((f) => f.field === 'image' || f.field === 'image[]')) {
    throw new BadRequestError('"image" is required: the image to edit, as a file part.', { param: 'image', code: 'missing_image' });
  }
  // Multipart fields are text: the counted ones are checked as the numbers they stand for.
  const counted = Object.fromEntries(endpoint.choiceFields.filter((f) => /^\d+$/.test(fields[f] ?? '')).map((f) => [f, Number(fields[f])]));
  return { ...fields, ...counted };
}
