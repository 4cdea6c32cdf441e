/**
 * `npm start`'s DynamoDB: dynalite (DynamoDB's API on an in-memory LevelDB) in this process, with the
 * usage table created as the stack creates it, so the functions run the very same SDK calls as in AWS.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
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
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
  return {
    endpoint,
    tableName,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The functions' SDK clients keep their connections alive; close them too, or close would wait for them.
        server.closeAllConnections();
      }),
  };
}
