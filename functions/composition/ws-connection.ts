import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import type { CloseConnectionDeps } from '../chat/connection/close-connection';
import type { OpenConnectionDeps } from '../chat/connection/open-connection';
import { clock } from './client-options';
import { mainTable } from './dynamodb';
import { caps } from './limits';
import { liveness } from './liveness';
import { fanoutQueue } from './sqs';

/** `$disconnect`: the connection store and the queue that announces presence. */
export function buildDisconnectDeps(): CloseConnectionDeps {
  const { client, tableName } = mainTable();
  return { connections: new DynamoDbConnectionStore(client, tableName), fanout: fanoutQueue(), clock };
}

/** `$connect`: the same, the socket cap, and the idle timeout that schedules the connection's liveness check. */
export function buildConnectDeps(): OpenConnectionDeps {
  return { ...buildDisconnectDeps(), caps: caps(), liveness: liveness() };
}
