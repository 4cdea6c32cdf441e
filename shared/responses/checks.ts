/** The Responses bridge's request checks: the two 400s it gives, and the JSON object test they rest on. */
import { BadRequestError } from '#shared/errors.ts';

type Json = Record<string, unknown>;

/** 400 for what the Hub cannot serve. */
export const bad = (param: string, message: string) => new BadRequestError(message, { param, code: 'unsupported_parameter' });
/** 400 for what is malformed. */
export const invalid = (param: string, message: string) => new BadRequestError(message, { param, code: 'invalid_request' });
/** A JSON object (not null, not a list). */
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
