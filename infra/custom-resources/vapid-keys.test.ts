import { createServer, type Server } from 'node:http';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, LOCAL_HOST, listen } from '../local/listen';
import { type LocalSsm, startSsm } from '../local/ssm';

const REGION = 'eu-west-1';
const PAIR = '/parley/test/vapid-keys';
const PUBLIC = '/parley/test/vapid-public-key';

type Handler = (event: unknown) => Promise<void>;
interface Answer {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly Data?: { readonly PublicKey: string };
}

/** The stage's VAPID key custom resource, run as CloudFormation would, against an SSM stand-in. */
describe('the VAPID key pair custom resource', () => {
  let ssm: LocalSsm;
  let client: SSMClient;
  let cloudFormation: Server;
  let responseUrl: string;
  const answers: Answer[] = [];
  let handler: Handler;

  beforeAll(async () => {
    ssm = await startSsm({ region: REGION, parameters: {} });
    // The function builds its client at import, from the environment as Lambda gives it.
    process.env.AWS_REGION = REGION;
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    process.env.AWS_ENDPOINT_URL_SSM = ssm.endpoint;
    ({ handler } = (await import('./vapid-keys')) as { handler: Handler });
    client = new SSMClient({
      region: REGION,
      endpoint: ssm.endpoint,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    cloudFormation = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        answers.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer);
        response.writeHead(200).end();
      });
    });
    responseUrl = `http://${LOCAL_HOST}:${await listen(cloudFormation, 0)}/answer`;
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_SSM;
    client.destroy();
    await close(cloudFormation);
    await ssm.stop();
  });

  async function run(
    requestType: 'Create' | 'Update' | 'Delete',
    properties: Record<string, string>,
    oldProperties?: Record<string, string>,
  ): Promise<Answer> {
    await handler({
      RequestType: requestType,
      ResponseURL: responseUrl,
      StackId: 'stack',
      RequestId: `request-${answers.length}`,
      LogicalResourceId: 'VapidKeys',
      PhysicalResourceId: PAIR,
      ResourceProperties: { ServiceToken: 'arn', ...properties },
      ...(oldProperties ? { OldResourceProperties: { ServiceToken: 'arn', ...oldProperties } } : {}),
    });
    const answer = answers.at(-1) as Answer;
    expect(answer.Status, answer.Reason).toBe('SUCCESS');
    return answer;
  }

  const read = async (name: string) =>
    (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter;
  const storedPair = async () =>
    JSON.parse((await read(PAIR))?.Value ?? '{}') as { publicKey: string; privateKey: string };
  const base = { ParameterName: PAIR, PublicKeyParameterName: PUBLIC, Retain: 'false' };

  it('makes a pair once, keeps it through updates, and copies its public key to a plain parameter', async () => {
    const created = await run('Create', base);
    const pair = await storedPair();
    expect(created.Data?.PublicKey).toBe(pair.publicKey);
    expect(pair.privateKey).toMatch(/^[\w-]{43}$/);
    expect(await read(PUBLIC)).toMatchObject({ Type: 'String', Value: pair.publicKey });
    expect((await read(PAIR))?.Type).toBe('SecureString');
    // No key in what CloudFormation is told but the public one.
    expect(JSON.stringify(answers)).not.toContain(pair.privateKey);

    const updated = await run('Update', { ...base, Retain: 'true' }, base);
    expect(updated.Data?.PublicKey).toBe(pair.publicKey);
    expect(await storedPair()).toEqual(pair);
  });

  it('makes a new pair when the rotation label changes, and only then', async () => {
    const before = await storedPair();
    const rotated = await run('Update', { ...base, Rotation: '2026-12' }, base);
    const after = await storedPair();
    expect(after.publicKey).not.toBe(before.publicKey);
    expect(rotated.Data?.PublicKey).toBe(after.publicKey);
    expect((await read(PUBLIC))?.Value).toBe(after.publicKey);

    await run('Update', { ...base, Rotation: '2026-12', Retain: 'true' }, { ...base, Rotation: '2026-12' });
    expect(await storedPair()).toEqual(after);
  });

  it('keeps both parameters when told to retain them, and removes both otherwise', async () => {
    await run('Delete', { ...base, Retain: 'true' });
    expect(await read(PUBLIC)).toBeDefined();
    await run('Delete', base);
    await expect(read(PAIR)).rejects.toThrow(expect.objectContaining({ name: 'ParameterNotFound' }));
    await expect(read(PUBLIC)).rejects.toThrow(expect.objectContaining({ name: 'ParameterNotFound' }));
  });
});
