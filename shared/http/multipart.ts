/**
 * `multipart/form-data` bodies (image edits): the media types API Gateway must pass to the functions as
 * binary (base64), and a reader of a body's text fields and file parts with busboy, so the proxy can check
 * them and then forward the very bytes it received.
 */
import busboy from 'busboy';
import { Readable } from 'node:stream';
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
 * Reads a multipart body.
 * @throws BadRequestError when the body is not multipart/form-data or is malformed.
 */
export function readMultipart(body: Buffer, contentType: string | undefined): Promise<MultipartContent> {
  if (!isBinaryMediaType(contentType)) {
    return Promise.reject(
      new BadRequestError('This endpoint takes multipart/form-data (with a boundary), as OpenAI clients send it.', {
        code: 'invalid_content_type',
      }),
    );
  }
  return new Promise((resolve, reject) => {
    const content: MultipartContent = { fields: {}, files: [] };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType }, limits: { fields: 50, files: 16, parts: 80 } });
    } catch (err) {
      reject(
        new BadRequestError(`The multipart body cannot be read: ${(err as Error).message}.`, { code: 'invalid_multipart', cause: err }),
      );
      return;
    }
    parser.on('field', (name, value) => (content.fields[name] = value));
    parser.on('file', (field, stream, info) => {
      const file = { field, filename: info.filename ?? '', mimeType: info.mimeType, bytes: 0 };
      content.files.push(file);
      stream.on('data', (chunk: Buffer) => (file.bytes += chunk.length));
    });
    parser.on('error', (err: Error) =>
      reject(new BadRequestError(`The multipart body cannot be read: ${err.message}.`, { code: 'invalid_multipart', cause: err })),
    );
    parser.on('close', () => resolve(content));
    Readable.from([body]).pipe(parser);
  });
}
