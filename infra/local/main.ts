/**
 * `npm start`: the local stack on 127.0.0.1, no AWS account, Docker or
 * internet needed. Ctrl-C stops everything.
 */
import { resolve } from 'node:path';
import { startLocalStack } from './stack';

const basePort = Number(process.env.PARLEY_LOCAL_PORT ?? 3000);
if (!Number.isInteger(basePort) || basePort < 1024 || basePort > 65_000) {
  console.error('PARLEY_LOCAL_PORT must be a port number between 1024 and 65000');
  process.exit(1);
}
const dataDir = resolve(process.env.PARLEY_LOCAL_DIR ?? '.local');
const verbose = process.env.PARLEY_LOG === 'verbose';
// A restored table (npm run restore:local), as `-c tableName=` on AWS.
const tableName = process.env.PARLEY_TABLE_NAME || undefined;

const stack = await startLocalStack({
  dataDir,
  ports: {
    web: basePort,
    webSocket: basePort + 1,
    http: basePort + 2,
    dynamoDb: basePort + 3,
    sqs: basePort + 4,
    cognito: basePort + 5,
  },
  watchWeb: true,
  ...(tableName ? { tableName } : {}),
  onLog: ({ functionName, line }) => {
    if (verbose || /"level":"(WARN|ERROR|CRITICAL)"/.test(line)) console.log(`[${functionName}] ${line}`);
  },
  onError: (message, error) =>
    console.error(`[local] ${message}:`, error instanceof Error ? error.message : error),
  onWebBuildError: (error) => console.error(`[web] ${error.message}`),
});

const out = (name: string) => {
  for (const stackOutputs of Object.values(stack.outputs)) if (stackOutputs[name]) return stackOutputs[name];
  return '';
};
console.log(`
Parley local stack ready in ${stack.startupMs} ms

  Web client        ${out('WebUrl')}  (rebuilt on changes to web/)
  Dev mailbox       ${out('MailboxUrl')}
  WebSocket API     ${out('WebSocketUrl')}?token=<access token>
  HTTP API          ${out('HttpApiUrl')}
  @connections      ${out('ConnectionsEndpoint')}
  Cognito           ${out('CognitoEndpoint')}  (user pool ${out('UserPoolId')}, client ${out('UserPoolClientId')})
  DynamoDB          ${out('DynamoDbEndpoint')}  (table ${out('TableName')})
  SQS               ${out('SqsEndpoint')}
  S3                ${out('SqsEndpoint')}  (path-style, bucket ${out('BlobBucketName')})

  Outputs           ${resolve(dataDir, 'outputs.json')}
  Function logs     ${resolve(dataDir, 'logs', 'functions.log')}

Press Ctrl-C to stop.
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
