import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type CfnTable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Bucket, type CfnBucket, HttpMethods } from 'aws-cdk-lib/aws-s3';
import { type CfnQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TOPOLOGY_METADATA_KEY } from '../constructs/parley-function';
import { VapidKeys } from '../constructs/vapid-keys';
import { mapEntries, pascal } from '../placement';
import type { StageConfig } from '../stage-config';
import {
  BUCKETS,
  type BucketDefinition,
  type BucketName,
  type IndexProjection,
  type KeyAttribute,
  OUTPUTS,
  projectionOf,
  QUEUES,
  type QueueDefinition,
  type QueueName,
  TABLES,
  type TableDefinition,
  type TableName,
} from '../topology';
import { PRIVATE_BUCKET } from './private-bucket';

export interface DataStackProps extends StackProps {
  /** Stage name: it names the stage's VAPID key parameter. */
  readonly stage: string;
  /** The stage's settings; `productionLike` retains and protects the tables. */
  readonly config: StageConfig;
  /** Bucket names by topology name (see `bucketNamesFor`). */
  readonly bucketNames: Record<BucketName, string>;
  /**
   * The stage's own web client origin (`https://…cloudfront.net`), allowed by the CORS of buckets that
   * pages call (attachments), beside `config.webOrigins`.
   */
  readonly webOrigin: string;
}

/**
 * The stage's bucket names: `parley-{stage}-{bucket}-{account}-{region}`,
 * globally unique, and built in whichever stack uses them from pseudo
 * parameters rather than imported from this one. So a function's grant names
 * the bucket the same way in its own stack, and the cdk-nag finding its
 * object-prefix wildcard raises can be acknowledged by its exact id.
 *
 * @example
 * bucketNamesFor('dev').blobs; // parley-dev-blobs-${AWS::AccountId}-${AWS::Region}
 */
export function bucketNamesFor(stage: string): Record<BucketName, string> {
  return mapEntries(
    BUCKETS,
    (name) => `parley-${stage.toLowerCase()}-${name.toLowerCase()}-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
  );
}

/**
 * Stateful: every table, queue and bucket of the topology. Code stacks import them,
 * so redeploying code never risks data.
 */
export class DataStack extends Stack {
  /** Tables by topology name. */
  readonly tables: Record<TableName, Table>;
  /** Queues by topology name (each with its own dead-letter queue). */
  readonly queues: Record<QueueName, Queue>;
  /** Dead-letter queues by the topology name of the queue they serve. */
  readonly deadLetterQueues: Record<QueueName, Queue>;
  /** Buckets by topology name. */
  readonly buckets: Record<BucketName, Bucket>;
  /** The stage's VAPID key pair for Web Push, kept as long as the data. */
  readonly vapidKeys: VapidKeys;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.tables = mapEntries(TABLES, (name, definition) => this.createTable(name, definition, props.config));
    this.deadLetterQueues = mapEntries(QUEUES, (name, definition) =>
      this.createDeadLetterQueue(name, definition),
    );
    this.queues = mapEntries(QUEUES, (name, definition) =>
      this.createQueue(name, definition, this.deadLetterQueues[name]),
    );
    this.buckets = mapEntries(BUCKETS, (name, definition) =>
      this.createBucket(name, props.bucketNames[name], definition, props),
    );
    this.vapidKeys = new VapidKeys(this, 'VapidKeys', {
      stage: props.stage,
      retain: props.config.productionLike,
      ...(props.config.vapidKeyRotation === undefined ? {} : { rotation: props.config.vapidKeyRotation }),
    });
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
        ...projectionProps(projectionOf(index)),
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

  private createBucket(
    name: BucketName,
    bucketName: string,
    definition: BucketDefinition,
    { config, webOrigin }: Pick<DataStackProps, 'config' | 'webOrigin'>,
  ): Bucket {
    const { cors } = definition;
    const bucket = new Bucket(this, `${pascal(name)}Bucket`, {
      ...PRIVATE_BUCKET,
      bucketName,
      // Pages of the stage's origins only; presigned forms and links carry the authority, CORS only lets
      // those pages read the answers.
      ...(cors
        ? {
            cors: [
              {
                allowedOrigins: [webOrigin, ...config.webOrigins],
                allowedMethods: cors.allowedMethods.map((method) => HttpMethods[method]),
                allowedHeaders: [...cors.allowedHeaders],
                exposedHeaders: [...cors.exposedHeaders],
                maxAge: cors.maxAgeSeconds,
              },
            ],
          }
        : {}),
      lifecycleRules: [
        {
          id: 'AbortIncompleteMultipartUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(
            definition.abortIncompleteMultipartUploadAfterDays,
          ),
        },
        ...definition.expirations.map((expiration) => ({
          id: `Expire-${expiration.prefix.replace(/\W/g, '')}`,
          prefix: expiration.prefix,
          expiration: Duration.days(expiration.days),
        })),
      ],
      removalPolicy: config.productionLike ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    (bucket.node.defaultChild as CfnBucket).addMetadata(TOPOLOGY_METADATA_KEY, { bucket: name });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Server access logs would record only opaque object keys of ciphertext, and every request reaches ' +
        'the bucket through the HTTP function, whose logs carry the request id; a log bucket would itself ' +
        'need an exemption. Turn on CloudTrail S3 data events for an audit trail.',
    });
    return bucket;
  }

  private createOutputs(): void {
    new CfnOutput(this, OUTPUTS.data.tableName, { value: this.tables.main.tableName });
    new CfnOutput(this, OUTPUTS.data.fanoutQueueUrl, { value: this.queues.fanout.queueUrl });
    new CfnOutput(this, OUTPUTS.data.blobBucketName, { value: this.buckets.blobs.bucketName });
  }
}

function attribute(key: KeyAttribute) {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}

function projectionProps(projection: IndexProjection) {
  switch (projection.type) {
    case 'ALL':
      return { projectionType: ProjectionType.ALL };
    case 'KEYS_ONLY':
      return { projectionType: ProjectionType.KEYS_ONLY };
    case 'INCLUDE':
      return { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...projection.nonKeyAttributes] };
  }
}
