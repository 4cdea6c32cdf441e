// The usage ledger's table in the synthesized template: its settings, and exactly the grants the
// recording functions need.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synth } from '#test/helpers/synth-stack.ts';

let template: Template;
beforeAll(() => {
  template = synth();
});

const tableRef = () => Object.keys(template.findResources('AWS::DynamoDB::Table'))[0] as string;

describe('usage table', () => {
  it('is one on-demand table with pk/sk keys, point-in-time recovery, encryption and TTL, kept on stack deletion', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
  });

  it('tells the agent and the proxy its name, and no other function', () => {
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')) as [
      string,
      { Properties: { Environment?: { Variables?: Record<string, unknown> } } },
    ][];
    const withTable = functions.filter(([, fn]) => fn.Properties.Environment?.Variables?.USAGE_TABLE !== undefined).map(([id]) => id);
    expect(withTable.sort()).toEqual([expect.stringMatching(/^Agent/), expect.stringMatching(/^HubProxy/)]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ USAGE_TABLE: { Ref: tableRef() } }) },
    });
  });

  it('grants only UpdateItem and Query on the table, to the agent and the proxy only', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] }; Roles: { Ref: string }[] };
    }[];
    const onTable = policies.flatMap((p) =>
      p.Properties.PolicyDocument.Statement.filter((s) => JSON.stringify(s.Resource).includes(tableRef())).map((s) => ({
        roles: p.Properties.Roles.map((r) => r.Ref),
        actions: [s.Action].flat(),
      })),
    );
    expect(onTable).toHaveLength(2);
    for (const grant of onTable) expect(grant.actions.sort()).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(onTable.flatMap((g) => g.roles).sort()).toEqual([expect.stringMatching(/^Agent/), expect.stringMatching(/^HubProxy/)]);
  });

  it('alarms when usage could not be written to the ledger', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('Usage could not be written to the ledger'),
      Threshold: 0,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(agent, 0) + FILL(proxy, 0)' })]),
    });
  });
});
