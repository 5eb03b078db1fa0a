/** How long an emailed code to verify an attribute lasts at Cognito. */
export const ATTRIBUTE_CODE_VALIDITY_IN_MS = 24 * 60 * 60_000;
/** Wrong codes in a row after which a user's attribute codes are refused for a while. */
export const WRONG_ATTRIBUTE_CODES_BEFORE_LIMIT = 5;
export const ATTRIBUTE_CODE_PAUSE_IN_MS = 15 * 60_000;

/** Whether a user's code may be checked now: yes, no (it is a day old), or not yet (too many wrong ones). */
export type AttributeCodeState = 'open' | 'expired' | 'limited';

interface Codes {
  /** When the code now pending was sent (epoch ms); unknown for a code sent before the front started. */
  sentAt?: number;
  wrong: number;
  pausedUntil: number;
}

/**
 * The codes that verify a new email (`UpdateUserAttributes`, `GetUserAttributeVerificationCode`,
 * `VerifyUserAttribute`) as the local Cognito front checks them. cognito-local keeps one code per
 * user and compares it, and no more: its codes never expire and wrong ones cost nothing. Cognito's
 * last a day, and after five wrong ones in a row it answers `LimitExceededException` for a while. Here:
 *
 * - a code more than 24 hours old is expired;
 * - five wrong codes in a row refuse the user's codes for 15 minutes (Cognito does not say how long
 *   its own pause is);
 * - a right code ends both.
 *
 * State lives in memory: a restart forgets it, and a code sent before it counts as fresh.
 */
export class AttributeCodeGuard {
  private readonly users = new Map<string, Codes>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new code went out to `username` (it replaces the one before). */
  sent(username: string): void {
    const codes = this.users.get(username);
    this.users.set(username, {
      wrong: codes?.wrong ?? 0,
      pausedUntil: codes?.pausedUntil ?? 0,
      sentAt: this.now(),
    });
  }

  /** Whether a code of `username` may be checked now. */
  state(username: string): AttributeCodeState {
    const codes = this.users.get(username);
    if (codes === undefined) return 'open';
    if (codes.pausedUntil > this.now()) return 'limited';
    if (codes.sentAt !== undefined && this.now() - codes.sentAt > ATTRIBUTE_CODE_VALIDITY_IN_MS)
      return 'expired';
    return 'open';
  }

  /** A wrong code of `username`: the fifth in a row pauses their codes. */
  wrong(username: string): void {
    const codes = this.users.get(username) ?? { wrong: 0, pausedUntil: 0 };
    codes.wrong += 1;
    if (codes.wrong >= WRONG_ATTRIBUTE_CODES_BEFORE_LIMIT) {
      codes.wrong = 0;
      codes.pausedUntil = this.now() + ATTRIBUTE_CODE_PAUSE_IN_MS;
    }
    this.users.set(username, codes);
  }

  /** The right code of `username`: it is spent, and the wrong ones before it are forgotten. */
  verified(username: string): void {
    this.users.delete(username);
  }
}
