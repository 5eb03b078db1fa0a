/**
 * The one definition of Parley's serverless topology: tables, queues,
 * functions, routes and event source mappings. The CDK stacks build AWS
 * resources from it and the local stack serves the same set; a test compares
 * the synthesized template with what the local stack serves.
 *
 * Plain data only: no CDK or SDK imports, so both runtimes can read it.
 */
import { BLOB_PREFIXES, type BlobPrefix } from '../functions/chat/mls/blob-keys';
import { Env, type EnvName } from '../functions/config';
import { HTTP_ROUTE_GROUPS, type HttpRouteGroup } from '../functions/edge/http-route-groups';
import { ROUTES, type RouteId } from '../shared/api/routes';
import { InboundAction } from '../shared/protocol/inbound';
import {
  IDLE_TIMEOUT_IN_SECONDS,
  MAX_CONNECTION_DURATION_IN_SECONDS,
  WEBSOCKET_SUBPROTOCOL,
} from '../shared/protocol/limits';
import { pongFrame } from '../shared/protocol/outbound';

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

/**
 * What a global secondary index copies of each item beside the keys. Every item write that adds, changes
 * or removes an index entry is billed again for the index, by the entry's size: a narrower projection
 * costs less per write, and a query then reads what is not projected from the table.
 */
export type IndexProjection =
  | { readonly type: 'ALL' }
  | { readonly type: 'KEYS_ONLY' }
  | { readonly type: 'INCLUDE'; readonly nonKeyAttributes: readonly string[] };

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** @default { type: 'ALL' } */
  readonly projection?: IndexProjection;
}

/** An index's projection, `ALL` when the topology names none. */
export function projectionOf(index: IndexDefinition): IndexProjection {
  return index.projection ?? { type: 'ALL' };
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Epoch seconds after which DynamoDB may delete the item (late: readers must filter too). */
  readonly timeToLiveAttribute: string;
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
}

export interface QueueDefinition {
  readonly visibilityTimeoutSeconds: number;
  readonly retentionPeriodSeconds: number;
  readonly deadLetter: { readonly maxReceiveCount: number; readonly retentionPeriodSeconds: number };
}

/** An S3 bucket: private, TLS only, encrypted, unversioned. */
export interface BucketDefinition {
  /** Key prefixes functions may read and write (grants name them, never the whole bucket). */
  readonly prefixes: readonly string[];
  /** Multipart uploads left unfinished this long are aborted (their parts are billed until then). */
  readonly abortIncompleteMultipartUploadAfterDays: number;
  /** Objects under a key prefix expire after this many days. */
  readonly expirations: ReadonlyArray<{ readonly prefix: string; readonly days: number }>;
  /**
   * Cross-origin access for the pages of the stage's web origins (the origins are stage config), which
   * upload with presigned POST forms and download with presigned GETs.
   * @default none: no page may call the bucket
   */
  readonly cors?: BucketCors;
  /**
   * Versioning, for buckets that hold history: an object deleted or overwritten stays as a noncurrent
   * version this many days, by key prefix. Versioning is bucket-wide, so every prefix of the bucket is
   * listed (a prefix left out would keep its old versions for good).
   * @default unversioned
   */
  readonly noncurrentVersionDays?: Readonly<Record<string, number>>;
}

export interface BucketCors {
  readonly allowedMethods: ReadonlyArray<'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE'>;
  /** Request headers a page may send; `*` for any. */
  readonly allowedHeaders: readonly string[];
  /** Response headers a page's script may read beyond the simple ones. */
  readonly exposedHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

/** What a function may touch. Each binding brings its env vars and its least-privilege grant together. */
export type Binding =
  | { readonly kind: 'table'; readonly table: TableName; readonly access: 'read' | 'readWrite' }
  | { readonly kind: 'queue'; readonly queue: QueueName; readonly access: 'send' }
  /**
   * A queue's dead-letter queue, for its consumer to park what it gives up on (without bodies), with the
   * queue's redrive `maxReceiveCount` so it parks a job before SQS would.
   */
  | { readonly kind: 'deadLetterQueue'; readonly queue: QueueName; readonly access: 'send' }
  /** Objects under some of a bucket's prefixes, never the whole bucket. */
  | {
      readonly kind: 'bucket';
      readonly bucket: BucketName;
      readonly prefixes: readonly BlobPrefix[];
      /** `delete`: DeleteObject only, for a sweeper that never reads or writes objects. */
      readonly access: 'read' | 'readWrite' | 'delete';
    }
  | { readonly kind: 'connections'; readonly access: 'manage' }
  /**
   * The stage's VAPID key pair (an SSM `SecureString` parameter made at the first deploy, never in a
   * template) and the contact push services see beside it.
   */
  | { readonly kind: 'pushKeys'; readonly access: 'read' }
  | {
      readonly kind: 'userPool';
      readonly access: 'verifyTokens' | 'readUsers' | 'signOutUsers' | 'deleteUsers';
    }
  /** Per-user rate limits and caps (settings, no resource): the stage's values as JSON. */
  | { readonly kind: 'limits'; readonly access: 'read' }
  /** API Gateway's WebSocket idle timeout (a setting): when a connection's liveness is checked. */
  | { readonly kind: 'idleTimeout'; readonly access: 'read' };

export interface FunctionDefinition {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
  readonly bindings: readonly Binding[];
}

export interface WebSocketRouteDefinition {
  readonly routeKey: string;
  readonly function: FunctionName;
  /** Send the integration's response back to the caller as a frame (a two-way route). */
  readonly returnResponse: boolean;
}

/**
 * A route API Gateway answers itself with a MOCK integration: no function runs, so only the frames are
 * billed. Its reply is a fixed frame, sent back on the connection.
 */
export interface WebSocketMockRouteDefinition {
  readonly routeKey: string;
  /** The frame API Gateway sends back, as JSON text (its integration response template). */
  readonly response: string;
}

export interface HttpRouteDefinition {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `/conversations/{id}`. */
  readonly path: string;
  readonly function: FunctionName;
  /** `jwt`: behind the Cognito JWT authorizer; `none`: public (the API description only). */
  readonly auth: 'jwt' | 'none';
}

export interface ScheduleDefinition {
  readonly function: FunctionName;
  readonly everyMinutes: number;
}

export interface EventSourceDefinition {
  readonly queue: QueueName;
  readonly function: FunctionName;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: true;
}

const MINUTE_IN_SECONDS = 60;
const DAY_IN_SECONDS = 24 * 60 * MINUTE_IN_SECONDS;

/** The sender's timeout; the queue's visibility timeout is sized from it. */
const SENDER_TIMEOUT_IN_SECONDS = 10;
/** The push sender's: a batch of up to 100 devices, each push a request to a push service (5 s at most). */
const PUSH_SENDER_TIMEOUT_IN_SECONDS = 30;

export const TABLES = {
  main: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    timeToLiveAttribute: 'ttl',
    globalSecondaryIndexes: [
      // Overloaded inverse index: "my conversations" (gsi1pk = USER#id).
      {
        indexName: 'gsi1',
        partitionKey: { name: 'gsi1pk', type: 'S' },
        sortKey: { name: 'gsi1sk', type: 'S' },
        // Overloaded: it serves several item types, and a narrower projection would force a second read.
        projection: { type: 'ALL' },
      },
    ],
  },
} as const satisfies Record<string, TableDefinition>;
export type TableName = keyof typeof TABLES;

export const QUEUES = {
  fanout: {
    // AWS advises six times the consumer's timeout, so a slow batch is not redelivered mid-flight.
    visibilityTimeoutSeconds: 6 * SENDER_TIMEOUT_IN_SECONDS,
    retentionPeriodSeconds: 4 * DAY_IN_SECONDS,
    // The sender parks a job that keeps failing in the dead-letter queue itself, without its body, one
    // receive before SQS would move it body and all (functions/chat/push/dead-letter.ts). SQS's redrive
    // stays as the backstop for a sender that cannot finish at all (a crash loop, a timeout): what it
    // moves keeps its body, so the dead-letter queue keeps messages one day only. A push is worth little
    // after that anyway: clients read the log after their last seq when they connect.
    deadLetter: { maxReceiveCount: 5, retentionPeriodSeconds: DAY_IN_SECONDS },
  },
  /**
   * Web Push notifications for devices without an open connection (queued by the fan-out sender, retried
   * by the push sender itself with a delay). A push is stale after a day; what SQS's redrive moves after
   * three failed batches holds ids and counts, no content.
   */
  push: {
    visibilityTimeoutSeconds: 6 * PUSH_SENDER_TIMEOUT_IN_SECONDS,
    retentionPeriodSeconds: DAY_IN_SECONDS,
    deadLetter: { maxReceiveCount: 3, retentionPeriodSeconds: DAY_IN_SECONDS },
  },
} as const satisfies Record<string, QueueDefinition>;
export type QueueName = keyof typeof QUEUES;

/** Welcome items live 30 days (DynamoDB TTL, which may run late); their bytes outlive them. */
const WELCOME_BLOB_LIFETIME_IN_DAYS = 60;

/**
 * A history transfer lives a day (`HISTORY_TRANSFER_LIFETIME_IN_MS`); its chunks are deleted when it is
 * cancelled, and this rule removes whatever a finished, expired or abandoned one left, a day later still.
 */
const HISTORY_CHUNK_LIFETIME_IN_DAYS = 2;

/** How long a deleted or replaced commit object can still be restored from its noncurrent version. */
export const COMMIT_NONCURRENT_VERSION_LIFETIME_IN_DAYS = 30;

export const BUCKETS = {
  blobs: {
    prefixes: Object.values(BLOB_PREFIXES),
    abortIncompleteMultipartUploadAfterDays: 1,
    // Commits stay: they are the group's history. Welcomes are useless once their item is gone, and a
    // history transfer's chunks once the transfer is.
    expirations: [
      { prefix: BLOB_PREFIXES.welcomes, days: WELCOME_BLOB_LIFETIME_IN_DAYS },
      { prefix: BLOB_PREFIXES.history, days: HISTORY_CHUNK_LIFETIME_IN_DAYS },
    ],
    // Attachments: the browser posts the ciphertext with a presigned form and reads it back with a
    // presigned GET; it needs the ETag to confirm what it stored.
    cors: {
      allowedMethods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['*'],
      exposedHeaders: ['ETag'],
      maxAgeSeconds: 3000,
    },
    // Commits are the groups' history, which no backup of the table holds: a deleted or overwritten one
    // can be restored for 30 days (docs/operations.md, "Backups and restore"). Versioning covers the whole
    // bucket, so the other prefixes keep an old version one day only (S3's shortest): an attachment or
    // picture a user deleted must not outlive the deletion by weeks.
    noncurrentVersionDays: {
      [BLOB_PREFIXES.commits]: COMMIT_NONCURRENT_VERSION_LIFETIME_IN_DAYS,
      [BLOB_PREFIXES.welcomes]: 1,
      [BLOB_PREFIXES.attachments]: 1,
      [BLOB_PREFIXES.avatars]: 1,
      [BLOB_PREFIXES.history]: 1,
      // A deleted backup must not outlive its deletion either.
      [BLOB_PREFIXES.backups]: 1,
    },
  },
} as const satisfies Record<string, BucketDefinition>;
export type BucketName = keyof typeof BUCKETS;

const mainTable = (access: 'read' | 'readWrite'): Binding => ({ kind: 'table', table: 'main', access });
const blobBucket = (prefixes: readonly BlobPrefix[], access: 'read' | 'readWrite' | 'delete'): Binding => ({
  kind: 'bucket',
  bucket: 'blobs',
  prefixes,
  access,
});
const fanoutQueue: Binding = { kind: 'queue', queue: 'fanout', access: 'send' };
const pushQueue: Binding = { kind: 'queue', queue: 'push', access: 'send' };
const limits: Binding = { kind: 'limits', access: 'read' };
const idleTimeout: Binding = { kind: 'idleTimeout', access: 'read' };

export const FUNCTIONS = {
  wsAuthorizer: {
    entry: 'functions/handlers/ws-authorizer.ts',
    description: 'Verifies the Cognito access token of a WebSocket $connect',
    memorySizeMb: 256,
    timeoutSeconds: 5,
    // The table for the user's sign-out mark: a token issued before it opens no connection.
    bindings: [{ kind: 'userPool', access: 'verifyTokens' }, mainTable('read')],
  },
  wsConnect: {
    entry: 'functions/handlers/ws-connect.ts',
    description: 'Stores a new WebSocket connection and announces the user online',
    memorySizeMb: 256,
    timeoutSeconds: 5,
    // The sockets-per-user cap; queues the connection's first liveness check, one idle timeout on.
    bindings: [mainTable('readWrite'), fanoutQueue, limits, idleTimeout],
  },
  wsDisconnect: {
    entry: 'functions/handlers/ws-disconnect.ts',
    description: 'Removes a closed WebSocket connection and announces the user offline',
    memorySizeMb: 256,
    timeoutSeconds: 5,
    bindings: [mainTable('readWrite'), fanoutQueue],
  },
  wsSend: {
    entry: 'functions/handlers/ws-send.ts',
    description: 'Stores a message in its conversation and enqueues its fan-out',
    memorySizeMb: 512,
    timeoutSeconds: 10,
    bindings: [mainTable('readWrite'), fanoutQueue, limits],
  },
  wsAction: {
    entry: 'functions/handlers/ws-action.ts',
    description: 'Deletes messages, moves receipts and relays typing',
    memorySizeMb: 512,
    timeoutSeconds: 10,
    bindings: [mainTable('readWrite'), fanoutQueue, { kind: 'connections', access: 'manage' }, limits],
  },
  wsDefault: {
    entry: 'functions/handlers/ws-default.ts',
    description: 'Answers frames no route matched with an error frame',
    memorySizeMb: 128,
    timeoutSeconds: 3,
    bindings: [],
  },
  fanoutSender: {
    entry: 'functions/handlers/fanout-sender.ts',
    description:
      'Posts messages and notifications to the open connections of their recipients, and checks connections are open',
    memorySizeMb: 512,
    timeoutSeconds: SENDER_TIMEOUT_IN_SECONDS,
    // The queue: `offline` pushes of users whose last connection is found gone, and the next liveness checks.
    // Its dead-letter queue: jobs given up on, parked without their bodies. The push queue: Web Push for
    // members' devices with no open connection.
    bindings: [
      mainTable('readWrite'),
      { kind: 'connections', access: 'manage' },
      fanoutQueue,
      pushQueue,
      { kind: 'deadLetterQueue', queue: 'fanout', access: 'send' },
      idleTimeout,
    ],
  },
  pushSender: {
    entry: 'functions/handlers/push-sender.ts',
    description: 'Sends Web Push notifications to devices with no open connection',
    memorySizeMb: 256,
    timeoutSeconds: PUSH_SENDER_TIMEOUT_IN_SECONDS,
    // The table: subscriptions, mutes and names, and removing subscriptions a push service says are gone.
    // Its own queue: pushes to try again later.
    bindings: [mainTable('readWrite'), pushQueue, { kind: 'pushKeys', access: 'read' }],
  },
  // The HTTP API, one function per route group of functions/edge/http-route-groups.ts (why: there).
  httpAccount: {
    entry: 'functions/handlers/http-account.ts',
    description: 'Serves profiles, sign-out, user search, friends, blocks and presence over HTTP',
    memorySizeMb: 512,
    timeoutSeconds: 10,
    bindings: [
      mainTable('readWrite'),
      // The first GET /me reads the account's email.
      { kind: 'userPool', access: 'readUsers' },
      // Sign-out everywhere revokes the account's refresh tokens.
      { kind: 'userPool', access: 'signOutUsers' },
      fanoutQueue,
      limits,
    ],
  },
  httpAccountLifecycle: {
    entry: 'functions/handlers/http-account-lifecycle.ts',
    description: 'Deletes accounts, exports their data and takes up a changed email over HTTP',
    memorySizeMb: 512,
    timeoutSeconds: 10,
    bindings: [
      mainTable('readWrite'),
      // Taking up a changed email reads it from the account.
      { kind: 'userPool', access: 'readUsers' },
      // Deleting an account ends its sessions, deletes it at the identity provider, and its profile
      // picture's objects; its conversations and friends are told through the fan-out queue.
      { kind: 'userPool', access: 'signOutUsers' },
      { kind: 'userPool', access: 'deleteUsers' },
      // Its profile picture's objects, and its encrypted backup's chunks.
      blobBucket([BLOB_PREFIXES.avatars, BLOB_PREFIXES.backups], 'delete'),
      fanoutQueue,
      limits,
    ],
  },
  httpChat: {
    entry: 'functions/handlers/http-chat.ts',
    description: 'Serves conversations, messages and receipts over HTTP',
    memorySizeMb: 512,
    timeoutSeconds: 10,
    bindings: [mainTable('readWrite'), fanoutQueue, limits],
  },
  httpMls: {
    entry: 'functions/handlers/http-mls.ts',
    description: 'Serves devices, key packages, MLS commits, Welcomes and history over HTTP',
    memorySizeMb: 512,
    timeoutSeconds: 10,
    bindings: [
      mainTable('readWrite'),
      // Large commits and Welcomes: written by POST /commits, read back by history and welcome pages.
      blobBucket([BLOB_PREFIXES.commits, BLOB_PREFIXES.welcomes], 'readWrite'),
      fanoutQueue,
      limits,
    ],
  },
  httpFiles: {
    entry: 'functions/handlers/http-files.ts',
    description:
      'Issues upload forms and download links for encrypted attachments, profile pictures and history transfers',
    memorySizeMb: 256,
    timeoutSeconds: 5,
    bindings: [
      mainTable('readWrite'),
      // The presigned forms and links are signed with this function's role: S3 checks that role may put
      // and get the object when the browser uses them. The function itself never moves the bytes; it reads
      // a picture's or a history chunk's size (HEAD, which GetObject allows) and deletes a replaced picture
      // and a cancelled transfer's chunks. Encrypted backup chunks likewise: sizes read before a backup
      // lists a chunk, dropped chunks deleted.
      blobBucket(
        [BLOB_PREFIXES.attachments, BLOB_PREFIXES.avatars, BLOB_PREFIXES.history, BLOB_PREFIXES.backups],
        'readWrite',
      ),
      // A new or removed profile picture is pushed to the user's friends and co-members; every change of a
      // history transfer to the user's own devices.
      fanoutQueue,
      limits,
    ],
  },
  attachmentSweeper: {
    entry: 'functions/handlers/attachment-sweeper.ts',
    description:
      'Deletes the objects of attachments no message keeps and of backup chunks no backup keeps, on a schedule',
    memorySizeMb: 256,
    // A run goes through up to 2,000 due attachments and 2,000 due backup chunks; the next run goes on
    // where it stopped.
    timeoutSeconds: 60,
    bindings: [
      mainTable('readWrite'),
      // Attachments no message keeps; backup chunks no backup listed a day on, or a backup dropped.
      blobBucket([BLOB_PREFIXES.attachments, BLOB_PREFIXES.backups], 'delete'),
    ],
  },
  httpDescription: {
    entry: 'functions/handlers/http-description.ts',
    description: 'Serves the public OpenAPI description of the HTTP API',
    memorySizeMb: 256,
    timeoutSeconds: 5,
    bindings: [],
  },
} as const satisfies Record<string, FunctionDefinition>;
export type FunctionName = keyof typeof FUNCTIONS;

export const WEBSOCKET = {
  routeSelectionExpression: '$request.body.action',
  authorizer: {
    function: 'wsAuthorizer',
    // Empty on purpose: the token may come from `?token=` or from
    // `Sec-WebSocket-Protocol` (browsers cannot set headers), and API Gateway
    // would refuse a request lacking any listed source before the authorizer runs.
    identitySource: [] as string[],
  },
  routes: [
    { routeKey: '$connect', function: 'wsConnect', returnResponse: false },
    { routeKey: '$disconnect', function: 'wsDisconnect', returnResponse: false },
    { routeKey: 'send', function: 'wsSend', returnResponse: true },
    { routeKey: 'delete', function: 'wsAction', returnResponse: true },
    { routeKey: 'receipt', function: 'wsAction', returnResponse: true },
    { routeKey: 'typing', function: 'wsAction', returnResponse: true },
    { routeKey: '$default', function: 'wsDefault', returnResponse: true },
  ],
  /**
   * The heartbeat: a client that only receives sends `ping` when it has sent nothing for a while, since
   * API Gateway's idle timeout counts only frames from the client. Answered by API Gateway without a
   * function (DESIGN §4): two billed messages, no invocation.
   */
  mockRoutes: [{ routeKey: InboundAction.Ping, response: JSON.stringify(pongFrame()) }],
  /** Sub-protocol a browser offers beside its token; `$connect` echoes it. */
  subprotocol: WEBSOCKET_SUBPROTOCOL,
  throttle: { rateLimit: 500, burstLimit: 1000 },
  /** API Gateway's fixed limits, enforced by the local gateway too. */
  idleTimeoutSeconds: IDLE_TIMEOUT_IN_SECONDS,
  maxConnectionSeconds: MAX_CONNECTION_DURATION_IN_SECONDS,
} as const satisfies {
  routes: readonly WebSocketRouteDefinition[];
  mockRoutes: readonly WebSocketMockRouteDefinition[];
  authorizer: { function: FunctionName; identitySource: string[] };
  [key: string]: unknown;
};

/** The function of each HTTP route group. */
export const HTTP_GROUP_FUNCTIONS = {
  account: 'httpAccount',
  accountLifecycle: 'httpAccountLifecycle',
  chat: 'httpChat',
  mls: 'httpMls',
  files: 'httpFiles',
  description: 'httpDescription',
} as const satisfies Record<HttpRouteGroup, FunctionName>;

const httpFunctionOf = (id: RouteId): FunctionName => {
  const group = (Object.keys(HTTP_ROUTE_GROUPS) as HttpRouteGroup[]).find((candidate) =>
    (HTTP_ROUTE_GROUPS[candidate] as readonly RouteId[]).includes(id),
  );
  if (!group) throw new Error(`HTTP route ${id} is in no route group`);
  return HTTP_GROUP_FUNCTIONS[group];
};

export const HTTP_API = {
  routes: (Object.entries(ROUTES) as [RouteId, (typeof ROUTES)[RouteId]][]).map(
    ([id, route]): HttpRouteDefinition => ({
      method: route.method,
      path: route.path,
      function: httpFunctionOf(id),
      auth: route.auth,
    }),
  ),
  throttle: { rateLimit: 200, burstLimit: 400 },
  /** CORS for the stage's web origins (the origins themselves are stage config). */
  cors: {
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    // The bearer token, JSON bodies and the client-chosen idempotency key.
    allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
    // Headers a browser script may read from a response: rate-limit and paging hints.
    exposeHeaders: ['retry-after', 'location'],
    maxAgeSeconds: DAY_IN_SECONDS,
  },
} as const satisfies {
  routes: readonly HttpRouteDefinition[];
  cors: { allowMethods: ReadonlyArray<HttpRouteDefinition['method'] | 'OPTIONS'>; [key: string]: unknown };
  [key: string]: unknown;
};

export const EVENT_SOURCES = [
  {
    queue: 'fanout',
    function: 'fanoutSender',
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
  },
  {
    // A second's window gathers a burst: one push per device and conversation, not one per message.
    queue: 'push',
    function: 'pushSender',
    batchSize: 100,
    maxBatchingWindowSeconds: 1,
    reportBatchItemFailures: true,
  },
] as const satisfies readonly EventSourceDefinition[];

/**
 * Functions run on a schedule (EventBridge on AWS, a timer on the local stack), with a scheduled event.
 * The sweeper every quarter of an hour: a deleted message's objects are gone within about that, and
 * each run costs one Query per hour of the due index's lookback when there is nothing to do.
 */
export const SCHEDULES = [
  { function: 'attachmentSweeper', everyMinutes: 15 },
] as const satisfies readonly ScheduleDefinition[];

/** Sign-in passwords, the same for a deployed user pool, the local one and the web client's check. */
export { PASSWORD_POLICY } from '../shared/protocol/limits';

/**
 * How long the web app client's tokens last, in a deployed user pool and the local one alike. Access
 * tokens are short: API Gateway's JWT authorizer accepts one until it expires, so a read over HTTP with a
 * token issued before a sign-out everywhere works for at most this long (routes that change state, and
 * WebSocket connections, refuse it at once).
 */
export const TOKEN_VALIDITY = {
  accessTokenMinutes: 60,
  idTokenMinutes: 60,
  /** A month of "stay signed in"; revocation at sign-out covers a lost device. */
  refreshTokenDays: 30,
  /** The sign-in session between password and TOTP steps: short, since it stands in for a password. */
  authSessionMinutes: 3,
} as const;

/**
 * Two-step sign-in with an authenticator app (TOTP), in a deployed user pool and the local one alike:
 * offered, not required. Messages are encrypted to device keys, so a stolen password alone reads no
 * history; a required second factor would stop sign-up for anyone without an authenticator app, and
 * Cognito has no recovery codes for a lost phone. SMS is not offered: it costs per message and is open
 * to SIM swapping.
 */
export const MFA_CONFIGURATION: 'OPTIONAL' | 'ON' = 'OPTIONAL';

/**
 * Attributes whose new value counts only once the code sent to it is entered, in a deployed user pool and
 * the local one alike. Until then the old email still signs in and gets the mail: a typo in a new
 * address, or someone holding a stolen access token, cannot take the account's email away.
 */
export const ATTRIBUTES_VERIFIED_BEFORE_UPDATE = ['email'] as const;

/** Names of the CloudFormation outputs, shared by `cdk deploy --outputs-file` and `.local/outputs.json`. */
export const OUTPUTS = {
  auth: { userPoolId: 'UserPoolId', userPoolClientId: 'UserPoolClientId', region: 'Region' },
  data: { tableName: 'TableName', fanoutQueueUrl: 'FanoutQueueUrl', blobBucketName: 'BlobBucketName' },
  realtime: { webSocketUrl: 'WebSocketUrl', connectionsEndpoint: 'ConnectionsEndpoint' },
  http: { httpApiUrl: 'HttpApiUrl' },
  /** The site's root URL: `https://…cloudfront.net` deployed, the dev server locally. */
  web: { webUrl: 'WebUrl' },
} as const;

/** Stack names for a stage: `Parley-{stage}-{Part}`. */
export function stackNames(stage: string) {
  return {
    auth: `Parley-${stage}-Auth`,
    data: `Parley-${stage}-Data`,
    realtime: `Parley-${stage}-Realtime`,
    http: `Parley-${stage}-Http`,
    web: `Parley-${stage}-Web`,
    webContent: `Parley-${stage}-WebContent`,
    monitoring: `Parley-${stage}-Monitoring`,
  } as const;
}

/** The variable a queue's URL is given to its senders in. */
export const QUEUE_URL_ENV = {
  fanout: Env.FanoutQueueUrl,
  push: Env.PushQueueUrl,
} as const satisfies Record<QueueName, EnvName>;

/** Environment variables a binding provides to a function. */
export function envNamesOf(binding: Binding): EnvName[] {
  switch (binding.kind) {
    case 'table':
      return [Env.TableName];
    case 'queue':
      return [QUEUE_URL_ENV[binding.queue]];
    case 'deadLetterQueue':
      return [Env.FanoutDeadLetterQueueUrl, Env.FanoutMaxReceiveCount];
    case 'bucket':
      return [Env.BlobBucketName];
    case 'connections':
      return [Env.ConnectionsEndpoint];
    case 'limits':
      return [Env.RateLimits, Env.Caps];
    case 'idleTimeout':
      return [Env.IdleTimeoutMs];
    case 'pushKeys':
      return [Env.VapidParameterName, Env.VapidSubject];
    case 'userPool':
      return binding.access === 'verifyTokens'
        ? [Env.UserPoolId, Env.UserPoolClientId, Env.JwtIssuer, Env.JwksUri]
        : [Env.UserPoolId, Env.UserPoolClientId];
  }
}
