/**
 * The usage table (ledger, budgets, the IONOS contract's limiter, stored responses, threads and their checkpoints): on demand, point-in-time recovery,
 * encrypted with an AWS managed key, expired windows deleted by TTL, kept when the stack is deleted (it is
 * the record of who used what). Functions get exactly the actions they use on it, and the consumer map as
 * an SSM parameter.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IApiKey } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { consumerBudgets, type DeployConfig } from '#infra/config.ts';
import type { BackendFunction } from '#infra/constructs/backend-function.ts';
import { USAGE_TABLE_SCHEMA } from '#shared/usage/table.ts';

/**
 * What the agent and the proxy do on the table: reserve and settle budgets, add to the ledger and take
 * contract slots (UpdateItem), read a consumer's windows (Query) and its budget item (GetItem).
 */
export const USAGE_TABLE_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:GetItem'] as const;

/** What the proxy does besides, for stored Responses API responses. */
export const RESPONSE_STORE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:DeleteItem'] as const;

/**
 * What the agent does besides, for the LangGraph API's threads: thread records (PutItem, DeleteItem) and
 * checkpoints (written and deleted in batches, read back in batches).
 */
export const THREAD_STORE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:BatchGetItem',
] as const;

/** Props of the usage table. */
export interface UsageTableProps {
  config: DeployConfig;
  /** The consumers' API keys by name (their ids go into the consumer map). */
  consumerKeys: ReadonlyMap<string, IApiKey>;
}

/** The usage table and the consumer map. */
export class UsageTable extends Construct {
  readonly table: Table;
  readonly consumersParameter: StringParameter;
  readonly #config: DeployConfig;

  constructor(scope: Construct, id: string, { config, consumerKeys }: UsageTableProps) {
    super(scope, id);
    this.#config = config;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: USAGE_TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: USAGE_TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: USAGE_TABLE_SCHEMA.timeToLiveAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // API Gateway hands a function the key's id, never its name: the map of ids to names and budgets is
    // written here, where the ids exist. Not in the functions' environment: key → stage → deployment →
    // methods → function would be a dependency cycle; the functions read it by its fixed name instead.
    const consumers = [...consumerKeys].map(([name, key]) => ({ apiKeyId: key.keyId, name, ...consumerBudgets(config.consumers[name]) }));
    this.consumersParameter = new StringParameter(this, 'Consumers', {
      parameterName: this.#parameterName,
      description: 'API key id → consumer name, budgets and contract share (CONSUMERS), written from CDK context consumers',
      stringValue: Stack.of(this).toJsonString(consumers),
    });
  }

  get #parameterName(): string {
    return `/${this.#config.stackName}/consumers`;
  }

  /** Lets a function record and read usage, check budgets and hold the IONOS contract; tells it the table and the consumers. */
  bind(fn: BackendFunction, actions: readonly string[] = USAGE_TABLE_ACTIONS): void {
    this.table.grant(fn, ...actions);
    fn.addEnvironment('USAGE_TABLE', this.table.tableName);
    fn.addEnvironment('CONSUMERS_PARAMETER', this.#parameterName);
    // The parameter's ARN from its fixed name, not from the resource: a reference would close the cycle above.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: this.#parameterName.slice(1) })],
      }),
    );
  }
}
