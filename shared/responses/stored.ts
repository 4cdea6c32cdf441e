/**
 * Stored responses, in the usage table: `pk = R#<response id>`, `sk = R`, with the consumer who made it, the
 * response object, and the conversation up to and including its output (chat messages, gzipped), kept 30
 * days (TTL). A conversation continues by id (`previous_response_id`) with one read; `GET` and `DELETE`
 * `/v1/responses/{id}` serve the consumer who created it and answer 404 to anyone else.
 */
import { NotFoundError } from '#shared/errors.ts';
import type { ChatMessage } from '#shared/responses/input.ts';
import { STORE_CALL_MS, within, type UsageStore } from '#shared/usage/store.ts';

/** How long a stored response is kept. */
export const STORED_RESPONSE_TTL_SECONDS = 30 * 86_400;
/** Larger conversations are not stored (a DynamoDB item holds at most 400 KB). */
export const MAX_STORED_BYTES = 350_000;

/** One stored response. */
export interface StoredResponse {
  response: Record<string, unknown>;
  conversation: ChatMessage[];
}

// zlib loads with the first stored response, not in every cold start of the proxy.
const zlib = () => import('node:zlib');

const key = (id: string) => ({ pk: { S: `R#${id}` }, sk: { S: 'R' } });

/** The 404 of a response that is not stored for the caller (missing, expired, deleted, or another consumer's). */
export const responseNotFound = (id: string, param?: string) =>
  new NotFoundError(`No response with id ${id.slice(0, 80)} is stored for this API key.`, { code: 'response_not_found', param });

/** Reads a consumer's stored response. @throws NotFoundError when there is none for this consumer. */
export async function readStored(store: UsageStore, consumer: string, id: string, param?: string): Promise<StoredResponse> {
  const { db, sdk } = await store.connect();
  const { Item: item } = await db.send(
    new sdk.GetItemCommand({ TableName: store.tableName, Key: key(id), ConsistentRead: true }),
    within(STORE_CALL_MS),
  );
  // Another consumer's response reads as missing: its existence is not theirs to learn.
  if (item === undefined || item.consumer?.S !== consumer || item.response?.S === undefined || item.conversation?.B === undefined) {
    throw responseNotFound(id, param);
  }
  return {
    response: JSON.parse(item.response.S) as Record<string, unknown>,
    conversation: JSON.parse((await zlib()).gunzipSync(item.conversation.B).toString('utf8')) as ChatMessage[],
  };
}

/** A response ready to store: the item to write. */
export type StoredItem = Record<string, { S: string } | { B: Uint8Array } | { N: string }>;

/** Packs a response with the conversation it ends (as chat messages, its answer last); undefined when too large to store. */
export type StorePacker = (consumer: string, response: Record<string, unknown>, conversation: ChatMessage[]) => StoredItem | undefined;

/** The packer, once zlib is loaded: it runs synchronously, so an answer can say whether it was stored before it is sent. */
export async function storePacker(): Promise<StorePacker> {
  const { gzipSync } = await zlib();
  return (consumer, response, messages) => {
    const conversation = gzipSync(JSON.stringify(messages));
    const text = JSON.stringify(response);
    if (conversation.byteLength + Buffer.byteLength(text) > MAX_STORED_BYTES) return undefined;
    return {
      ...key(String(response.id)),
      consumer: { S: consumer },
      response: { S: text },
      conversation: { B: conversation },
      expiresAt: { N: String(Math.floor(Date.now() / 1000) + STORED_RESPONSE_TTL_SECONDS) },
    };
  };
}

/** Writes a packed response. @throws the store's error. */
export async function putStored(store: UsageStore, item: StoredItem): Promise<void> {
  const { db, sdk } = await store.connect();
  await db.send(new sdk.PutItemCommand({ TableName: store.tableName, Item: item }), within(STORE_CALL_MS));
}

/** Deletes a consumer's stored response. @throws NotFoundError when there is none for this consumer. */
export async function deleteStored(store: UsageStore, consumer: string, id: string): Promise<void> {
  const { db, sdk } = await store.connect();
  try {
    await db.send(
      new sdk.DeleteItemCommand({
        TableName: store.tableName,
        Key: key(id),
        ConditionExpression: 'consumer = :consumer',
        ExpressionAttributeValues: { ':consumer': { S: consumer } },
      }),
      within(STORE_CALL_MS),
    );
  } catch (err) {
    if (err instanceof sdk.ConditionalCheckFailedException) throw responseNotFound(id);
    throw err;
  }
}
