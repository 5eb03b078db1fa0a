/**
 * The CloudFormation custom resource that gives a stage its VAPID key pair (RFC 8292) without the private
 * key ever being in a template, a parameter of one, or a log: made here on create, stored as an SSM
 * `SecureString`, and only the public key returned (as the `PublicKey` attribute, for `config.json`).
 *
 * - Create: make a P-256 pair and store it, unless the parameter is already there (a stack made again
 *   after a retained parameter): then keep it, so browsers' subscriptions stay valid.
 * - Update: keep the pair; answer its public key. When `Rotation` changed (`-c vapidKeyRotation=…`), make
 *   a new pair and store it over the old one.
 * - Every Create and Update also stores the public key alone, as a plain `String` parameter
 *   (`PublicKeyParameterName`), which the web content stack reads at each deploy: a key that changes
 *   cannot travel as a stack export, which CloudFormation will not update while another stack imports it.
 * - Delete: remove both parameters, unless `Retain` is `true` (production-like stages).
 */
import { createECDH } from 'node:crypto';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';

interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: VapidKeysProperties;
  readonly OldResourceProperties?: VapidKeysProperties;
}

interface VapidKeysProperties {
  readonly ParameterName: string;
  readonly PublicKeyParameterName?: string;
  readonly Retain?: string;
  readonly Rotation?: string;
}

const ssm = new SSMClient({});

export const handler = async (event: CustomResourceEvent): Promise<void> => {
  const properties = event.ResourceProperties;
  const name = properties.ParameterName;
  let response: { Status: 'SUCCESS' | 'FAILED'; Reason?: string; Data?: Record<string, string> };
  try {
    if (event.RequestType === 'Delete') {
      if (properties.Retain !== 'true') {
        await deleteParameter(name);
        if (properties.PublicKeyParameterName) await deleteParameter(properties.PublicKeyParameterName);
      }
      response = { Status: 'SUCCESS' };
    } else {
      const rotate =
        event.RequestType === 'Update' &&
        properties.Rotation !== undefined &&
        properties.Rotation !== event.OldResourceProperties?.Rotation;
      const publicKey = rotate ? await storeNewKeys(name, true) : await ensureKeys(name);
      if (properties.PublicKeyParameterName)
        await storePublicKey(properties.PublicKeyParameterName, publicKey);
      response = { Status: 'SUCCESS', Data: { PublicKey: publicKey } };
    }
  } catch (error) {
    // The reason names the failure, never a key.
    response = { Status: 'FAILED', Reason: `${(error as Error).name}: ${(error as Error).message}` };
  }
  const body = JSON.stringify({
    ...response,
    PhysicalResourceId: name,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: true,
  });
  const answer = await fetch(event.ResponseURL, {
    method: 'PUT',
    headers: { 'content-type': '' },
    body,
  });
  if (!answer.ok) throw new Error(`CloudFormation did not take the answer: ${answer.status}`);
};

/** The stored pair's public key, making and storing a pair first when there is none. */
async function ensureKeys(name: string): Promise<string> {
  const stored = await readPublicKey(name);
  if (stored) return stored;
  try {
    return await storeNewKeys(name, false);
  } catch (error) {
    // Another attempt stored one first: that one stands.
    if ((error as Error).name !== 'ParameterAlreadyExists') throw error;
    const raced = await readPublicKey(name);
    if (!raced) throw error;
    return raced;
  }
}

/** Makes a P-256 pair and stores it (over the stored one when `overwrite`); answers its public key. */
async function storeNewKeys(name: string, overwrite: boolean): Promise<string> {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys().toString('base64url');
  const privateKey = ecdh.getPrivateKey().toString('base64url');
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Type: 'SecureString',
      Value: JSON.stringify({ publicKey, privateKey }),
      Description: 'The stage VAPID key pair for Web Push (made at the first deploy or a rotation)',
      Overwrite: overwrite,
    }),
  );
  return publicKey;
}

/** The public key alone, as a plain parameter anyone in the account may read: it is public. */
async function storePublicKey(name: string, publicKey: string): Promise<void> {
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Type: 'String',
      Value: publicKey,
      Description: 'The stage VAPID public key, for config.json (a copy of the pair kept beside it)',
      Overwrite: true,
    }),
  );
}

async function readPublicKey(name: string): Promise<string | undefined> {
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const parsed = JSON.parse(Parameter?.Value ?? '{}') as { publicKey?: unknown };
    return typeof parsed.publicKey === 'string' ? parsed.publicKey : undefined;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw error;
  }
}

async function deleteParameter(name: string): Promise<void> {
  try {
    await ssm.send(new DeleteParameterCommand({ Name: name }));
  } catch (error) {
    if ((error as Error).name !== 'ParameterNotFound') throw error;
  }
}
