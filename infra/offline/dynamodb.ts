/**
 * `npm start`'s DynamoDB: dynalite (DynamoDB's API on an in-memory LevelDB), started and stopped by npm start
 * as a child process, with the usage table created as the stack creates it, so the functions run the very
 * same SDK calls as in AWS. A process of its own, not the API's, for two measured reasons: on the API's event
 * loop its work competed with the functions' and ledger writes timed out under load, and in a thread of the
 * API's process it grew the process's memory without bound (the soak test saw it); as its own process it
 * levels off, as DynamoDB is not in a Lambda's memory either. Stopping ends the process: the data lived in
 * memory only, so there is nothing to flush.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fork } from 'node:child_process';
import { USAGE_TABLE_SCHEMA } from '#shared/usage/table.ts';

/** A running embedded store. */
export interface EmbeddedDynamo {
  /** `http://127.0.0.1:<port>`, for `DYNAMODB_ENDPOINT`. */
  endpoint: string;
  tableName: string;
  /** The store's process id. */
  pid: number;
  close(): Promise<void>;
}

/** Region and credentials the SDK insists on; the embedded store checks neither. */
export const EMBEDDED_AWS_ENV = { AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } as const;

/** Starts dynalite on a loopback port and creates the usage table in it. */
export async function startEmbeddedDynamo(
  options: {
    port?: number;
    tableName?: string;
    /** Called when the store's process ends other than by `close()` (killed, crashed). */
    onUnexpectedExit?: (reason: string) => void;
  } = {},
): Promise<EmbeddedDynamo> {
  const child = fork(new URL('./dynamodb-process.ts', import.meta.url), [], {
    env: { ...process.env, EMBEDDED_DYNAMO_PORT: String(options.port ?? 0) },
    execArgv: [], // not the parent's flags (a test runner's loaders)
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let closing = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!closing) options.onUnexpectedExit?.(signal === null ? `exit code ${code}` : `signal ${signal}`);
      resolve();
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number; error?: string }) =>
      m.port === undefined ? reject(new Error(`the embedded DynamoDB store did not start: ${m.error}`)) : resolve(m.port),
    );
    child.once('error', reject);
    void exited.then(() => reject(new Error('the embedded DynamoDB store exited before it listened')));
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
  return {
    endpoint,
    tableName,
    pid: child.pid as number,
    close: () => {
      closing = true;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
