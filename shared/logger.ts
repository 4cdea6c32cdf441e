/**
 * The process-wide Powertools Logger. Service name and level come from the standard Powertools env vars
 * (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL`), which the stack sets per function.
 * Nothing that carries a secret, a prompt or a completion is ever passed to it.
 */
import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logger shared by all modules of one function. */
export const logger = new Logger();
