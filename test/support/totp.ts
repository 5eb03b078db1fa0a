import { generateSync } from 'otplib';

/**
 * The six-digit code an authenticator app shows for `secret` (base32) `steps` periods of 30 seconds
 * from now: what a person would read off their phone and type.
 */
export function authenticatorCode(secret: string, steps = 0): string {
  return generateSync({
    secret,
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    epoch: Math.floor(Date.now() / 1000) + steps * 30,
  });
}
