import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import type { closeConnection } from '../chat/connection/close-connection';
import type { OpenConnectionDeps } from '../chat/connection/open-connection';
import { clock } from './client-options';
import { mainTable } from './dynamodb';
import { fanoutQueue } from './sqs';

/** `$connect` and `$disconnect`: the connection store and the queue that announces presence. */
export function buildConnectionDeps(): OpenConnectionDeps & Parameters<typeof closeConnection>[0] {
  const { client, tableName } = mainTable();
  return { connections: new DynamoDbConnectionStore(client, tableName), fanout: fanoutQueue(), clock };
}
