/**
 * `multipart/form-data` bodies (image edits): the media types API Gateway must pass to the functions as
 * binary (base64), and a reader of a body's text fields and file parts, so the proxy can check them and
 * then forward the very bytes it received.
 */
import { BadRequestError } from '#shared/errors.ts';

/**
 * Media types API Gateway hands the functions base64-encoded (the stack's `binaryMediaTypes`, and the
 * local server's event builder): anything else arrives as UTF-8 text, which would mangle image bytes.
 */
export const BINARY_MEDIA_TYPES = ['multipart/form-data'] as const;

/** Whether a content type is one of the binary media types. */
export const isBinaryMediaType = (contentType: string | undefined) =>
  BINARY_MEDIA_TYPES.some((t) => (contentType ?? '').toLowerCase().split(';')[0]?.trim() === t);

/** What a multipart body holds: its text fields, and its files' field names, file names and sizes. */
export interface MultipartContent {
  fields: Record<string, string>;
  files: { field: string; filename: string; mimeType: string; bytes: number }[];
}

/**
 * Reads a multipart body with Node's own parser (undici's `Response.formData()`): no parser in the bundle.
 * @throws BadRequestError when the body is not multipart/form-data or is malformed.
 */
export async function readMultipart(body: Buffer, contentType: string | undefined): Promise<MultipartContent> {
  if (!isBinaryMediaType(contentType)) {
    throw new BadRequestError('This endpoint takes multipart/form-data (with a boundary), as OpenAI clients send it.', {
      code: 'invalid_content_type',
    });
  }
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType as string } }).formData();
  } catch (err) {
    throw new BadRequestError(`The multipart body cannot be read: ${(err as Error).message}.`, { code: 'invalid_multipart', cause: err });
  }
  const content: MultipartContent = { fields: {}, files: [] };
  for (const [field, value] of form.entries()) {
    // As with repeated JSON keys (json-keys.ts): IONOS may read another copy than the one checked here.
    if (typeof value === 'string' && Object.hasOwn(content.fields, field)) {
      throw new BadRequestError(`The multipart field "${field.slice(0, 100)}" appears more than once; send each field once.`, {
        param: field.slice(0, 100),
        code: 'duplicate_field',
      });
    }
    if (typeof value === 'string') content.fields[field] = value;
    else content.files.push({ field, filename: value.name, mimeType: value.type, bytes: value.size });
  }
  return content;
}
