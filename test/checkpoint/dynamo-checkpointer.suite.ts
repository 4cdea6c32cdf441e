// The official LangGraph checkpointer validation suite (@langchain/langgraph-checkpoint-validation) against
// the DynamoDB checkpointer on the embedded store, one store per checkpointer the suite asks for (its
// instances must not see each other's threads). Run by test/integration/checkpointer.test.ts.
import { validate } from '@langchain/langgraph-checkpoint-validation';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo, type EmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import { DynamoCheckpointer } from '#shared/threads/checkpointer.ts';
import { openUsageStore } from '#shared/usage/store.ts';

Object.assign(process.env, EMBEDDED_AWS_ENV);
const stores = new Map<DynamoCheckpointer, EmbeddedDynamo>();

validate({
  checkpointerName: 'DynamoCheckpointer',
  async createCheckpointer() {
    const store = await startEmbeddedDynamo();
    const checkpointer = new DynamoCheckpointer(openUsageStore({ tableName: store.tableName, endpoint: store.endpoint }), { ttlDays: 30 });
    stores.set(checkpointer, store);
    return checkpointer;
  },
  async destroyCheckpointer(checkpointer) {
    await stores.get(checkpointer)?.close();
    stores.delete(checkpointer);
  },
});
