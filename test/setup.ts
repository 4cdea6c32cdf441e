// Runs before every test file: the `awslambda` global that response-streaming handlers need at import
// time, and quiet logs unless a test captures them.
import { installAwsLambdaShim } from '#infra/local/awslambda-shim.ts';

installAwsLambdaShim();
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_DEV ??= 'false';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
