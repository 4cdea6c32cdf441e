// The usage table in the synthesized template: its settings, exactly the grants the agent, the proxy and the Responses API
// need, the contract limits and consumer map they are told, and the alarms and dashboard rows of the usage.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synth } from '#test/helpers/synth-stack.ts';

const CONSUMERS = {
  alice: { rateLimit: 5, burstLimit: 10, dailyQuota: 20_000, tokensPerDay: 100_000, tokensPerMonth: 2_000_000 },
  bob: { rateLimit: 2, burstLimit: 4, dailyQuota: 1_000, imagesPerDay: 50, studioJobsPerDay: 5, contractShare: 0.25 },
};
let template: Template;
beforeAll(() => {
  template = synth({
    consumers: CONSUMERS,
    ionosRequestsPerSecond: 7,
    ionosRequestsBurst: 14,
    ionosImagesPerMinute: 12,
    ionosImagesBurst: 24,
  });
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

  it('tells the functions that call IONOS its name, and no other function', () => {
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')) as [
      string,
      { Properties: { Environment?: { Variables?: Record<string, unknown> } } },
    ][];
    const withTable = functions.filter(([, fn]) => fn.Properties.Environment?.Variables?.USAGE_TABLE !== undefined).map(([id]) => id);
    expect(withTable.sort()).toEqual([
      expect.stringMatching(/^Agent/),
      expect.stringMatching(/^HubProxy/),
      expect.stringMatching(/^Responses/),
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ USAGE_TABLE: { Ref: tableRef() } }) },
    });
  });

  it('grants only the actions the functions use on the table, to the functions that call IONOS only', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] }; Roles: { Ref: string }[] };
    }[];
    const onTable = policies.flatMap((p) =>
      p.Properties.PolicyDocument.Statement.filter((s) => JSON.stringify(s.Resource).includes(tableRef())).map((s) => ({
        roles: p.Properties.Roles.map((r) => r.Ref),
        actions: [s.Action].flat(),
      })),
    );
    expect(onTable).toHaveLength(3);
    const base = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];
    const actionsOf = (role: RegExp) => onTable.find((g) => g.roles.some((r) => role.test(r)))?.actions.sort();
    // The agent also keeps threads: their records and checkpoints (written and read in batches).
    expect(actionsOf(/^Agent/)).toEqual(
      [...base, 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem'].sort(),
    );
    expect(actionsOf(/^HubProxy/)).toEqual(base);
    // The Responses API also keeps stored responses.
    expect(actionsOf(/^Responses/)).toEqual([...base, 'dynamodb:DeleteItem', 'dynamodb:PutItem'].sort());
    expect(onTable.flatMap((g) => g.roles).sort()).toEqual([
      expect.stringMatching(/^Agent/),
      expect.stringMatching(/^HubProxy/),
      expect.stringMatching(/^Responses/),
    ]);
  });

  it('tells the functions that call IONOS the contract from context, to hold it in the table', () => {
    for (const id of [/^Agent/, /^HubProxy/, /^Responses/]) {
      const [fn] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([logical]) => id.test(logical));
      expect(
        (fn?.[1] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables,
      ).toMatchObject({
        IONOS_REQUESTS_PER_SECOND: '7',
        IONOS_REQUESTS_BURST: '14',
        IONOS_IMAGES_PER_MINUTE: '12',
        IONOS_IMAGES_BURST: '24',
        CONSUMERS_PARAMETER: '/IonosAgentBackend/consumers',
      });
    }
  });

  it("writes each consumer's API key id, name and budgets to the consumer parameter, readable by the functions that call IONOS only", () => {
    const [param] = Object.values(template.findResources('AWS::SSM::Parameter')) as { Properties: { Name: string; Value: unknown } }[];
    expect(param?.Properties.Name).toBe('/IonosAgentBackend/consumers');
    // Fn::Join of the JSON text around each key's Ref.
    const text = JSON.stringify(param?.Properties.Value);
    for (const piece of [
      '\\"imagesPerDay\\":50',
      '\\"studioJobsPerDay\\":5',
      '\\"contractShare\\":0.25',
      '\\"name\\":\\"alice\\"',
      '\\"tokensPerDay\\":100000',
      '\\"tokensPerMonth\\":2000000',
      '\\"name\\":\\"bob\\"',
    ]) {
      expect(text).toContain(piece);
    }
    expect(text).not.toContain('tokensPerMinute');
    const keyRefs = Object.keys(template.findResources('AWS::ApiGateway::ApiKey')).filter((id) => /Keyalice|Keybob/.test(id));
    expect(keyRefs).toHaveLength(2);
    for (const ref of keyRefs) expect(text).toContain(`{"Ref":"${ref}"}`);
    const readers = (
      Object.values(template.findResources('AWS::IAM::Policy')) as {
        Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] }; Roles: { Ref: string }[] };
      }[]
    ).filter((p) =>
      p.Properties.PolicyDocument.Statement.some(
        (s) => s.Action === 'ssm:GetParameter' && JSON.stringify(s.Resource).includes('parameter/IonosAgentBackend/consumers'),
      ),
    );
    expect(readers.flatMap((p) => p.Properties.Roles.map((r) => r.Ref)).sort()).toEqual([
      expect.stringMatching(/^Agent/),
      expect.stringMatching(/^HubProxy/),
      expect.stringMatching(/^Responses/),
    ]);
  });

  it('alarms when the ledger, the budget check or the contract limiter cannot use the table', () => {
    for (const [text, metric] of [
      ['Usage could not be written to the ledger', 'LedgerWriteFailures'],
      ['Budgets could not be checked', 'BudgetCheckFailures'],
      ['The IONOS contract limiter could not be reached', 'ContractLimiterFailures'],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp(text as string),
        Threshold: 0,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'FILL(agent, 0) + FILL(hubProxy, 0) + FILL(responses, 0)' }),
          Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: metric }) }) }),
        ]),
      });
    }
  });

  it('alarms at 80 % of a monthly budget, for the consumers that have one', () => {
    const budgetAlarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
      JSON.stringify(a).includes('MonthlyBudgetUsedPercent'),
    );
    expect(budgetAlarms).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^Consumer alice has used 80 % of its monthly token budget \\(2000000 tokens\\)'),
      Threshold: 80,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: Match.anyValue(),
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'MAX([FILL(agent, 0), FILL(hubProxy, 0), FILL(responses, 0)])' }),
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ Dimensions: Match.arrayWith([{ Name: 'consumer', Value: 'alice' }]) }),
          }),
        }),
      ]),
    });
  });

  it('gives each consumer a dashboard row: tokens and requests, and 429 by reason', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as { Properties: { DashboardBody: unknown } }[];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const name of ['alice', 'bob']) {
      expect(body).toContain(`${name}: tokens and requests (reached IONOS)`);
      expect(body).toContain(`${name}: 429 by reason (budget, contract)`);
      expect(body).toMatch(new RegExp(`MetricName=\\W+Rejected\\W+ consumer=\\W+${name}\\W`));
      // What the functions emit by consumer (shared/metrics.ts: the request's record, a second dimension set).
      expect(body).toMatch(new RegExp(`consumer,service\\} MetricName=\\W+Requests\\W+ consumer=\\W+${name}\\W`));
      expect(body).toMatch(
        new RegExp(
          `SUM\\(SEARCH\\(\\W+\\{IonosAgentBackend,consumer,service\\} \\(MetricName=\\W+PromptTokens\\W+ OR MetricName=\\W+CompletionTokens\\W+\\) consumer=\\W+${name}\\W`,
        ),
      );
    }
  });

  it('gives the LangGraph API a dashboard row: threads created, runs by outcome', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as { Properties: { DashboardBody: unknown } }[];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain('Threads created');
    expect(body).toContain('ThreadsCreated');
    expect(body).toMatch(/kind,outcome,service\W+ MetricName=\W+ThreadRuns/);
  });
});
