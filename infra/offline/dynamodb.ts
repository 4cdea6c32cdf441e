/**
 * `npm start`'s DynamoDB: dynalite (DynamoDB's API on an in-memory LevelDB) in this process, on a thread of
 * its own, with the usage table created as the stack creates it, so the functions run the very same SDK
 * calls as in AWS. Closing terminates the thread: the data lived in memory only, so there is nothing to flush,
 * and writes still queued in dynalite cannot outlive a closed database.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Worker } from 'node:worker_threads';
import { USAGE_TABLE_SCHEMA } from '#shared/usage/table.ts';

/** A running embedded store. */
export interface EmbeddedDynamo {
  /** `http://127.0.0.1:<port>`, for `DYNAMODB_ENDPOINT`. */
  endpoint: string;
  tableName: string;
  close(): Promise<void>;
}

/** Region and credentials the SDK insists on; the embedded store checks neither. */
export const EMBEDDED_AWS_ENV = { AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } as const;

/** Starts dynalite on a loopback port and creates the usage table in it. */
export async function startEmbeddedDynamo(options: { port?: number; tableName?: string } = {}): Promise<EmbeddedDynamo> {
  const thread = new Worker(new URL('./dynamodb-thread.ts', import.meta.url), { workerData: { port: options.port ?? 0 } });
  const port = await new Promise<number>((resolve, reject) => {
    thread.once('message', (m: { port?: number; error?: string }) =>
      m.port === undefined ? reject(new Error(`the embedded DynamoDB store did not start: ${m.error}`)) : resolve(m.port),
    );
    thread.once('error', reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const tableName = options.tableName ?? 'usage';
  const client = new DynamoDBClient({
    endpoint,
    region: EMBEDDED_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { partitionKey, sortKey } = USAGE_TABLE_SCHEMA;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        { AttributeName: sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  client.destroy();
  return { endpoint, tableName, close: () => thread.terminate().then(() => undefined) };
}
