/**
 * Operations: alarms (smoke failures or missing smoke data, 5xx rate including failures inside streams that
 * had answered 200, throttling spikes, a function calling IONOS at its reserved concurrency, the IONOS token close
 * to its expiry, the usage table failing, a consumer at 80 % of its monthly budget) to an SNS topic with an
 * optional email subscription, and one dashboard with requests, errors, latency, tokens per model, threads, 429s and
 * a row per consumer.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { CREDENTIALS_SERVICE, METRICS_NAMESPACE, STORE_FAILURE_METRICS } from '#shared/metrics.ts';
import type { FunctionName } from '#shared/routes.ts';
import { RESERVED_CONCURRENCY, type DeployConfig } from '#infra/config.ts';
import type { BackendApi } from '#infra/constructs/api.ts';
import type { BackendFunction } from '#infra/constructs/backend-function.ts';
import { callerMetrics } from '#infra/constructs/caller-metrics.ts';
import { ConsumerOperations } from '#infra/constructs/consumer-operations.ts';

/** What each usage-table failure alarm means. */
const STORE_FAILURE_HELP: Record<keyof typeof STORE_FAILURE_METRICS, string> = {
  ledger:
    'Usage could not be written to the ledger (requests were answered; their usage is only in the logs, "usage ledger write failed").',
  budgets: 'Budgets could not be checked (requests were let through unchecked; "budget check failed" in the logs).',
  limiter:
    'The IONOS contract limiter could not be reached (calls went to IONOS unlimited, its own 429s still apply; "contract limiter failed" in the logs).',
};

/** Props of the operations resources. */
export interface OperationsProps {
  config: DeployConfig;
  api: BackendApi;
  functions: ReadonlyMap<FunctionName, BackendFunction>;
}

/** Topic, alarms and dashboard. */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, { config, api, functions }: OperationsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Alarms', { displayName: `${config.stackName} alarms`, enforceSSL: true });
    if (config.alarmEmail !== '') this.topic.addSubscription(new EmailSubscription(config.alarmEmail));

    // API Gateway has no throttling metric: count 429s in the access log.
    new MetricFilter(this, 'Throttled', {
      logGroup: api.accessLogs,
      filterPattern: FilterPattern.numberValue('$.status', '=', 429),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'GatewayThrottled',
      metricValue: '1',
      defaultValue: 0,
    });
    const throttled = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'GatewayThrottled',
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    const smoke = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'SmokeSuccess',
      dimensionsMap: { service: 'smoke-test' },
      statistic: 'Minimum',
      period: Duration.minutes(config.smokeIntervalMinutes),
    });
    const requests = api.api.metricCount({ period: Duration.minutes(5), statistic: 'Sum' });
    const errors5xx = api.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
    // A streamed run that fails has answered 200 already; the functions count those failures themselves.
    const streamErrors = (service: FunctionName) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'StreamServerErrors',
        dimensionsMap: { service },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    const storeFailures = (metricName: string) => (service: FunctionName) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service }, statistic: 'Sum', period: Duration.minutes(5) });
    const streamFailures = callerMetrics(streamErrors);
    const tokenDays = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'IonosTokenDaysToExpiry',
      dimensionsMap: { service: CREDENTIALS_SERVICE },
      statistic: 'Minimum',
      period: Duration.hours(1),
    });

    this.alarms = [
      new Alarm(this, 'SmokeFailing', {
        alarmDescription:
          'The scheduled smoke test failed or did not run. First check the smoke-test function logs, then the IONOS credentials secret and IONOS status.',
        metric: smoke,
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: TreatMissingData.BREACHING,
      }),
      new Alarm(this, 'ServerErrorRate', {
        alarmDescription:
          'More than 5% of requests failed server-side for 15 minutes (5xx answers, and streams that ended in an error event after their 200). Check the function logs ("agent run failed", "proxied" with outcome failed) for upstream failures (502/503/504).',
        metric: new MathExpression({
          expression: `IF(requests > 0, 100 * (errors + ${streamFailures.terms.join(' + ')}) / requests, 0)`,
          usingMetrics: { errors: errors5xx, requests, ...streamFailures.usingMetrics },
          period: Duration.minutes(5),
        }),
        threshold: 5,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'ThrottlingSpike', {
        alarmDescription: 'More than 100 requests were throttled (429) in 5 minutes. Check the usage plans and the IONOS contract limits.',
        metric: throttled,
        threshold: 100,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'IonosTokenExpiring', {
        alarmDescription: `The IONOS token in the credentials secret expires in less than ${config.tokenExpiryAlarmDays} days. Create a new token in the IONOS console and put it in the secret (see the FillTheSecret output); no redeploy is needed.`,
        metric: tokenDays,
        threshold: config.tokenExpiryAlarmDays,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING, // no data is the smoke alarm's case
      }),
      // The usage table's three uses fail open (requests are answered); each failure gets an alarm instead.
      ...Object.entries(STORE_FAILURE_METRICS).map(([part, metricName]) => {
        const failures = callerMetrics(storeFailures(metricName));
        return new Alarm(this, metricName, {
          alarmDescription: `${STORE_FAILURE_HELP[part as keyof typeof STORE_FAILURE_METRICS]} Check DynamoDB throttling and the usage table's health.`,
          metric: new MathExpression({
            expression: failures.terms.join(' + '),
            usingMetrics: failures.usingMetrics,
            period: Duration.minutes(5),
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
      }),
      ...RESERVED_CONCURRENCY.map(
        ({ function: name, key, alarm }) =>
          new Alarm(this, alarm, {
            alarmDescription: `The ${name} function was throttled at its reserved concurrency in the last 5 minutes: clients were turned away. Check for one consumer holding many long requests, then raise ${key} if the load is legitimate.`,
            metric: (functions.get(name) as BackendFunction).metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
            threshold: 0,
            comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          }),
      ),
    ];
    const consumers = new ConsumerOperations(this, 'Consumers', { config });
    this.alarms.push(...consumers.alarms);
    for (const alarm of this.alarms) alarm.addAlarmAction(new SnsAction(this.topic));

    const tokens = (name: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},model,route,service,statusClass} MetricName="${name}"', 'Sum', 300)`,
        label: name,
        period: Duration.minutes(5),
      });
    new Dashboard(this, 'Dashboard', {
      dashboardName: `${config.stackName}-${config.stageName}`,
      widgets: [
        [
          new GraphWidget({ title: 'Requests', left: [requests] }),
          new GraphWidget({
            title: '4xx / 5xx',
            left: [api.api.metricClientError({ period: Duration.minutes(5), statistic: 'Sum' }), errors5xx],
          }),
          new GraphWidget({
            title: 'Latency',
            left: [api.api.metricLatency({ statistic: 'p50' }), api.api.metricLatency({ statistic: 'p99' })],
          }),
        ],
        [
          new GraphWidget({ title: 'Prompt tokens per model', left: [tokens('PromptTokens')] }),
          new GraphWidget({ title: 'Completion tokens per model', left: [tokens('CompletionTokens')] }),
          new GraphWidget({ title: '429s (gateway)', left: [throttled] }),
          new GraphWidget({ title: 'Smoke test', left: [smoke] }),
          new GraphWidget({ title: 'IONOS token: days to expiry', left: [tokenDays] }),
        ],
        // The LangGraph API: threads created, and runs by how they ended (stateless runs beside thread runs).
        [
          new GraphWidget({
            title: 'Threads created',
            left: [
              new Metric({
                namespace: METRICS_NAMESPACE,
                metricName: 'ThreadsCreated',
                dimensionsMap: { service: 'agent' },
                statistic: 'Sum',
                period: Duration.minutes(5),
              }),
            ],
          }),
          new GraphWidget({
            title: 'Thread runs by outcome',
            left: [
              new MathExpression({
                expression: `SEARCH('{${METRICS_NAMESPACE},kind,outcome,service} MetricName="ThreadRuns"', 'Sum', 300)`,
                label: 'ThreadRuns',
                period: Duration.minutes(5),
              }),
            ],
          }),
        ],
        ...consumers.widgets,
      ],
    });
  }
}
