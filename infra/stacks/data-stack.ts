import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type CfnTable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { type CfnQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TOPOLOGY_METADATA_KEY } from '../constructs/parley-function';
import { mapEntries, pascal } from '../placement';
import type { StageConfig } from '../stage-config';
import {
  type KeyAttribute,
  OUTPUTS,
  QUEUES,
  type QueueDefinition,
  type QueueName,
  TABLES,
  type TableDefinition,
  type TableName,
} from '../topology';

export interface DataStackProps extends StackProps {
  /** The stage's settings; `productionLike` retains and protects the tables. */
  readonly config: StageConfig;
}

/**
 * Stateful: every table and queue of the topology. Code stacks import them,
 * so redeploying code never risks data.
 */
export class DataStack extends Stack {
  /** Tables by topology name. */
  readonly tables: Record<TableName, Table>;
  /** Queues by topology name (each with its own dead-letter queue). */
  readonly queues: Record<QueueName, Queue>;
  /** Dead-letter queues by the topology name of the queue they serve. */
  readonly deadLetterQueues: Record<QueueName, Queue>;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.tables = mapEntries(TABLES, (name, definition) => this.createTable(name, definition, props.config));
    this.deadLetterQueues = mapEntries(QUEUES, (name, definition) =>
      this.createDeadLetterQueue(name, definition),
    );
    this.queues = mapEntries(QUEUES, (name, definition) =>
      this.createQueue(name, definition, this.deadLetterQueues[name]),
    );
    this.createOutputs();
  }

  private createTable(name: TableName, definition: TableDefinition, config: StageConfig): Table {
    const table = new Table(this, `${pascal(name)}Table`, {
      partitionKey: attribute(definition.partitionKey),
      sortKey: attribute(definition.sortKey),
      // On demand: chat traffic is spiky and idle most of the day; no capacity to plan or pay for.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: definition.timeToLiveAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: config.productionLike,
      removalPolicy: config.productionLike ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const index of definition.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        // Overloaded indexes serve several item types; a narrower projection would force a second read.
        projectionType: ProjectionType.ALL,
      });
    }
    (table.node.defaultChild as CfnTable).addMetadata(TOPOLOGY_METADATA_KEY, { table: name });
    return table;
  }

  private createDeadLetterQueue(name: QueueName, definition: QueueDefinition): Queue {
    const queue = new Queue(this, `${pascal(name)}DeadLetterQueue`, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(definition.deadLetter.retentionPeriodSeconds),
    });
    (queue.node.defaultChild as CfnQueue).addMetadata(TOPOLOGY_METADATA_KEY, { deadLetterQueueOf: name });
    return queue;
  }

  private createQueue(name: QueueName, definition: QueueDefinition, deadLetterQueue: Queue): Queue {
    const queue = new Queue(this, `${pascal(name)}Queue`, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(definition.retentionPeriodSeconds),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: definition.deadLetter.maxReceiveCount },
    });
    (queue.node.defaultChild as CfnQueue).addMetadata(TOPOLOGY_METADATA_KEY, { queue: name });
    return queue;
  }

  private createOutputs(): void {
    new CfnOutput(this, OUTPUTS.data.tableName, { value: this.tables.main.tableName });
    new CfnOutput(this, OUTPUTS.data.fanoutQueueUrl, { value: this.queues.fanout.queueUrl });
  }
}

function attribute(key: KeyAttribute) {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}
