import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  BackupPlan,
  BackupPlanRule,
  BackupResource,
  BackupVault,
  type IBackupVault,
} from 'aws-cdk-lib/aws-backup';
import {
  AttributeType,
  BillingMode,
  type CfnTable,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket, type CfnBucket, HttpMethods } from 'aws-cdk-lib/aws-s3';
import { type CfnQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { managedPolicyFinding } from '../constructs/nag';
import { TOPOLOGY_METADATA_KEY } from '../constructs/parley-function';
import { VapidKeys } from '../constructs/vapid-keys';
import { mapEntries, pascal } from '../placement';
import { type StageConfig, StageConfigError } from '../stage-config';
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
  /** Tables by topology name: the ones this stack made. */
  readonly tables: Record<TableName, Table>;
  /**
   * The tables the functions use: this stack's own, or the table `config.tableName` names (one restored
   * from a backup), which this stack then references by name without managing it.
   */
  readonly tablesInUse: Record<TableName, ITable>;
  /** Queues by topology name (each with its own dead-letter queue). */
  readonly queues: Record<QueueName, Queue>;
  /** Dead-letter queues by the topology name of the queue they serve. */
  readonly deadLetterQueues: Record<QueueName, Queue>;
  /** Buckets by topology name. */
  readonly buckets: Record<BucketName, Bucket>;
  /** The stage's VAPID key pair for Web Push, kept as long as the data. */
  readonly vapidKeys: VapidKeys;
  /** Where the daily backups of the table in use go, and the plan that makes them. */
  readonly backupVault: BackupVault;
  readonly backupPlan: BackupPlan;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.tables = mapEntries(TABLES, (name, definition) => this.createTable(name, definition, props.config));
    this.tablesInUse = this.tablesUsed(props.config);
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
    this.backupVault = this.createBackupVault(props.stage, props.config);
    this.backupPlan = this.createBackupPlan(props.stage, props.config);
    this.createOutputs();
  }

  /**
   * A restored table is a new table (DynamoDB restores never overwrite): `-c tableName=` points the
   * functions at it by name. The table this stack made stays as it was (retained in production), so its
   * exports to the code stacks do not change, which CloudFormation would refuse while they are in use.
   */
  private tablesUsed(config: StageConfig): Record<TableName, ITable> {
    const { tableName } = config;
    if (tableName === undefined) return this.tables;
    if (Object.keys(this.tables).length !== 1) {
      throw new StageConfigError(
        `Context tableName names one table, but the topology has ${Object.keys(this.tables).length}`,
      );
    }
    for (const table of Object.values(this.tables)) {
      // The code stacks import these until their own deploy switches them, which runs after this stack's:
      // an export dropped while still imported fails the deploy.
      this.exportValue(table.tableName);
      this.exportValue(table.tableArn);
    }
    return mapEntries(this.tables, (name) =>
      Table.fromTableName(this, `${pascal(name)}TableInUse`, tableName),
    );
  }

  /**
   * The vault encrypts with a key of its own, so a backup's readers are whoever that key's policy and
   * the vault's allow, not everyone who may read the table. Kept with the data in production-like
   * stages; in dev, deleting the stack fails until the vault's recovery points are deleted
   * (docs/operations.md).
   */
  private createBackupVault(stage: string, config: StageConfig): BackupVault {
    const removalPolicy = config.productionLike ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const encryptionKey = new Key(this, 'BackupKey', {
      description: `Parley ${stage}: encrypts the table's backups`,
      enableKeyRotation: true,
      removalPolicy,
    });
    return new BackupVault(this, 'BackupVault', {
      backupVaultName: `parley-${stage}-backups`,
      encryptionKey,
      removalPolicy,
    });
  }

  /**
   * One backup a day of the table in use, kept `config.backupRetentionDays`, and copied to another
   * account's or region's vault when one is configured: PITR restores only within this account and
   * region, and only the last 35 days.
   */
  private createBackupPlan(stage: string, config: StageConfig): BackupPlan {
    const deleteAfter = Duration.days(config.backupRetentionDays);
    const copyTo: IBackupVault | undefined = config.backupCopyVaultArn
      ? BackupVault.fromBackupVaultArn(this, 'BackupCopyVault', config.backupCopyVaultArn)
      : undefined;
    const plan = new BackupPlan(this, 'BackupPlan', {
      backupPlanName: `parley-${stage}-daily`,
      backupVault: this.backupVault,
      backupPlanRules: [
        new BackupPlanRule({
          ruleName: 'Daily',
          // 05:00 UTC: the quiet hours of Europe and the Americas.
          scheduleExpression: Schedule.cron({ hour: '5', minute: '0' }),
          deleteAfter,
          ...(copyTo ? { copyActions: [{ destinationBackupVault: copyTo, deleteAfter }] } : {}),
        }),
      ],
    });
    const selection = plan.addSelection('Tables', {
      resources: Object.values(this.tablesInUse).map((table) => BackupResource.fromArn(table.tableArn)),
      // Restores are an operator's act, with the console's default role, not this plan's.
      allowRestores: false,
    });
    const backupPolicy = ManagedPolicy.fromAwsManagedPolicyName(
      'service-role/AWSBackupServiceRolePolicyForBackup',
    );
    Validations.of(selection).acknowledge({
      id: managedPolicyFinding(selection, backupPolicy.managedPolicyArn),
      reason:
        "AWS Backup's managed policy is the documented permission set for its backup jobs, kept current " +
        'by AWS as services change; the role is assumed by AWS Backup only, for this plan.',
    });
    return plan;
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
    const { noncurrentVersionDays } = definition;
    const bucket = new Bucket(this, `${pascal(name)}Bucket`, {
      ...PRIVATE_BUCKET,
      bucketName,
      versioned: noncurrentVersionDays !== undefined,
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
        ...Object.entries(noncurrentVersionDays ?? {}).map(([prefix, days]) => ({
          id: `ExpireNoncurrent-${prefix.replace(/\W/g, '')}`,
          prefix,
          noncurrentVersionExpiration: Duration.days(days),
        })),
        // A delete leaves a marker over the old version; once that version expires, the marker goes too.
        ...(noncurrentVersionDays
          ? [{ id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true }]
          : []),
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
    new CfnOutput(this, OUTPUTS.data.tableName, { value: this.tablesInUse.main.tableName });
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
