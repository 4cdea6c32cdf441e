/**
 * The usage ledger's DynamoDB table: on demand, point-in-time recovery, encrypted with an AWS managed key,
 * expired windows deleted by TTL, kept when the stack is deleted (it is the record of who used what).
 * Functions get exactly the actions they use on it.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { BackendFunction } from '#infra/constructs/backend-function.ts';
import { USAGE_TABLE_SCHEMA } from '#shared/usage/table.ts';

/** What the recording functions (agent, proxy) do on the table: add to counters, read a consumer's windows. */
export const LEDGER_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:Query'] as const;

/** The usage table. */
export class UsageTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: USAGE_TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: USAGE_TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: USAGE_TABLE_SCHEMA.timeToLiveAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets a function record and read usage, and tells it the table. Deployed functions record consumers by
   * their API key id: the id cannot be handed to them in their environment (key → stage → deployment →
   * methods → function would be a dependency cycle), so `CONSUMERS` stays a local (npm start) setting.
   */
  bindLedger(fn: BackendFunction): void {
    this.table.grant(fn, ...LEDGER_ACTIONS);
    fn.addEnvironment('USAGE_TABLE', this.table.tableName);
  }
}
