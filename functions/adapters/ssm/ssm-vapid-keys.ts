import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { VapidKeys } from '../webpush/web-push-service';

/**
 * Reads the stage's VAPID key pair from its SSM parameter: a `SecureString` holding
 * `{"publicKey": …, "privateKey": …}` (URL-safe base64), made at the stage's first deploy.
 */
export async function readVapidKeys(client: SSMClient, name: string): Promise<VapidKeys> {
  const { Parameter } = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  const parsed: unknown = JSON.parse(Parameter?.Value ?? 'null');
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('publicKey' in parsed) ||
    !('privateKey' in parsed) ||
    typeof parsed.publicKey !== 'string' ||
    typeof parsed.privateKey !== 'string'
  ) {
    throw new Error(`The parameter ${name} holds no VAPID key pair`);
  }
  return { publicKey: parsed.publicKey, privateKey: parsed.privateKey };
}
