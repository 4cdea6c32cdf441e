/**
 * Per consumer of CDK context `consumers`: dashboard widgets (tokens and requests that reached IONOS, our
 * 429s by reason) and, for a consumer with a monthly budget, an alarm at 80 % of it. The functions emit the
 * metrics with a `consumer` dimension (see shared/metrics.ts), once per function (`service`).
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, GraphWidget, MathExpression, Metric, TreatMissingData, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '#shared/metrics.ts';
import type { DeployConfig } from '#infra/config.ts';
import { callerMetrics } from '#infra/constructs/caller-metrics.ts';

/** The share of a monthly budget at which its alarm fires. */
export const MONTHLY_BUDGET_ALARM_PERCENT = 80;

/** Widgets and alarms of each consumer. */
export class ConsumerOperations extends Construct {
  readonly widgets: IWidget[][] = [];
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, { config }: { config: DeployConfig }) {
    super(scope, id);
    const search = (consumer: string, dims: string, metric: string, label: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${dims}} MetricName="${metric}" consumer="${consumer}"', 'Sum', 300)`,
        label,
        period: Duration.minutes(5),
      });
    // A request's metrics carry the consumer as a second dimension set (see shared/metrics.ts): its tokens
    // are the prompt and completion tokens of every function (`service`), summed.
    const tokens = (consumer: string) =>
      new MathExpression({
        expression: `SUM(SEARCH('{${METRICS_NAMESPACE},consumer,service} (MetricName="PromptTokens" OR MetricName="CompletionTokens") consumer="${consumer}"', 'Sum', 300))`,
        label: 'tokens',
        period: Duration.minutes(5),
      });
    for (const [name, consumer] of Object.entries(config.consumers)) {
      this.widgets.push([
        new GraphWidget({
          title: `${name}: tokens and requests (reached IONOS)`,
          left: [tokens(name)],
          right: [search(name, 'consumer,service', 'Requests', 'requests')],
          width: 12,
        }),
        new GraphWidget({
          title: `${name}: 429 by reason (budget, contract)`,
          left: [search(name, 'consumer,reason,service', 'Rejected', '')],
          width: 12,
        }),
      ]);
      if (consumer.tokensPerMonth === undefined) continue;
      const percent = callerMetrics(
        (service) =>
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: 'MonthlyBudgetUsedPercent',
            dimensionsMap: { consumer: name, service },
            statistic: 'Maximum',
            period: Duration.minutes(5),
          }),
      );
      this.alarms.push(
        new Alarm(this, `MonthlyBudget-${name}`, {
          alarmDescription: `Consumer ${name} has used ${MONTHLY_BUDGET_ALARM_PERCENT} % of its monthly token budget (${consumer.tokensPerMonth} tokens). At 100 % its requests get 429 budget_exceeded until the month ends; raise tokensPerMonth in CDK context consumers if that is not intended.`,
          metric: new MathExpression({
            expression: `MAX([${percent.terms.join(', ')}])`,
            usingMetrics: percent.usingMetrics,
            period: Duration.minutes(5),
          }),
          threshold: MONTHLY_BUDGET_ALARM_PERCENT,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}
