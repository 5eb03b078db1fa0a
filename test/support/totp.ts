import {
  AssociateSoftwareTokenCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { generateSync } from 'otplib';
import { cognitoClient, type Persona } from './personas';
import type { TestStack } from './stack';

const PERIOD_IN_SECONDS = 30;

/** The 30-second period of an authenticator code that holds now. */
export function currentStep(): number {
  return Math.floor(Date.now() / 1000 / PERIOD_IN_SECONDS);
}

/**
 * The six-digit code an authenticator app shows for `secret` (base32) `steps` periods of 30 seconds
 * from now: what a person would read off their phone and type.
 */
export function authenticatorCode(secret: string, steps = 0): string {
  return authenticatorCodeAt(secret, currentStep() + steps);
}

/** The code an authenticator app shows for `secret` in the 30-second period `step`. */
export function authenticatorCodeAt(secret: string, step: number): string {
  return generateSync({
    secret,
    algorithm: 'sha1',
    digits: 6,
    period: PERIOD_IN_SECONDS,
    epoch: step * PERIOD_IN_SECONDS,
  });
}

/**
 * A code of a period after `lastStep` (the last one the account took: each is taken once) that the
 * user pool takes now, at most one period ahead of the clock; waits for the clock when it must.
 */
export async function freshCode(secret: string, lastStep: number): Promise<{ code: string; step: number }> {
  const step = Math.max(lastStep + 1, currentStep());
  while (currentStep() < step - 1) await new Promise((resolve) => setTimeout(resolve, 250));
  return { code: authenticatorCodeAt(secret, step), step };
}

/** Turns two-step sign-in on for a persona through the user pool's API; the secret and the step it took. */
export async function enrolAuthenticator(
  stack: TestStack,
  persona: Pick<Persona, 'accessToken'>,
): Promise<{ secret: string; step: number }> {
  const client = cognitoClient(stack);
  try {
    const { SecretCode } = await client.send(
      new AssociateSoftwareTokenCommand({ AccessToken: persona.accessToken }),
    );
    const secret = SecretCode as string;
    const { code, step } = await freshCode(secret, -1);
    await client.send(new VerifySoftwareTokenCommand({ AccessToken: persona.accessToken, UserCode: code }));
    await client.send(
      new SetUserMFAPreferenceCommand({
        AccessToken: persona.accessToken,
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
      }),
    );
    return { secret, step };
  } finally {
    client.destroy();
  }
}
