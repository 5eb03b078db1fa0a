import { randomBytes } from 'node:crypto';
import { verifySync } from 'otplib';

/** What a code from an authenticator app came to. */
export type CodeCheck = 'accepted' | 'wrong' | 'reused' | 'paused';

/** A sign-in waiting for its second factor: whose, and until when. */
interface Challenge {
  readonly username: string;
  readonly expiresAt: number;
  wrongCodes: number;
}

interface Failures {
  count: number;
  pausedUntil: number;
}

/** RFC 6238 as authenticator apps use it: HMAC-SHA-1, six digits, a new code every 30 seconds. */
const TOTP = { algorithm: 'sha1', digits: 6, period: 30 } as const;
/** One step either way (RFC 6238 §5.2): a phone's clock a little off, or a code typed as it turned. */
const CLOCK_TOLERANCE_IN_SECONDS = 30;
/** Wrong codes one sign-in may take before it must start again with the password. */
export const WRONG_CODES_PER_SIGN_IN = 3;
/** Wrong codes in a row, across sign-ins, after which a user's codes are refused for a while. */
export const WRONG_CODES_BEFORE_PAUSE = 5;
export const PAUSE_IN_MS = 15 * 60_000;

/**
 * The second factor as the local Cognito front checks it, where cognito-local falls short: its
 * challenge `Session` is a fresh random id it never looks at again (so a username and a good code
 * signed in without the password), a used code works again for its whole window, and wrong codes
 * cost nothing. Here:
 *
 * - a challenge session is bound to the user whose password opened it, lasts the pool's
 *   authentication-session validity, and is spent by a correct code or by too many wrong ones;
 * - a code is checked per RFC 6238 (otplib), and a time step once accepted for a user is never
 *   accepted again (RFC 6238 §5.2), at sign-in or at enrolment;
 * - five wrong codes in a row pause that user's codes for 15 minutes.
 *
 * State lives in memory: a restart of the local stack forgets it, as it ends every sign-in under way.
 */
export class SoftwareTokenGuard {
  private readonly challenges = new Map<string, Challenge>();
  private readonly lastStep = new Map<string, number>();
  private readonly failures = new Map<string, Failures>();

  constructor(
    private readonly sessionMinutes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens a challenge for a user whose password was right; the `Session` the caller must answer with. */
  open(username: string): string {
    this.sweep();
    const session = randomBytes(48).toString('base64url');
    this.challenges.set(session, {
      username,
      expiresAt: this.now() + this.sessionMinutes * 60_000,
      wrongCodes: 0,
    });
    return session;
  }

  /** Whether `session` is a live challenge of `username`. */
  isOpen(session: string, username: string): boolean {
    const challenge = this.challenges.get(session);
    if (challenge === undefined || challenge.expiresAt <= this.now()) {
      this.challenges.delete(session);
      return false;
    }
    return challenge.username === username;
  }

  /** Checks a sign-in's code; a correct one spends the session, and so does the last wrong one allowed. */
  answer(session: string, username: string, secret: string, code: string): CodeCheck {
    const result = this.check(username, secret, code);
    const challenge = this.challenges.get(session);
    if (result === 'accepted') this.challenges.delete(session);
    if (result === 'wrong' && challenge && ++challenge.wrongCodes >= WRONG_CODES_PER_SIGN_IN)
      this.challenges.delete(session);
    return result;
  }

  /** Checks a code of `username`'s authenticator (`secret`, base32); remembers an accepted step. */
  check(username: string, secret: string, code: string): CodeCheck {
    const failures = this.failures.get(username);
    if (failures && failures.pausedUntil > this.now()) return 'paused';
    const result = /^\d{6}$/.test(code) ? this.verify(secret, code) : undefined;
    if (result === undefined) {
      const count = (failures?.count ?? 0) + 1;
      this.failures.set(username, {
        count: count >= WRONG_CODES_BEFORE_PAUSE ? 0 : count,
        pausedUntil: count >= WRONG_CODES_BEFORE_PAUSE ? this.now() + PAUSE_IN_MS : 0,
      });
      return 'wrong';
    }
    if (result <= (this.lastStep.get(username) ?? -1)) return 'reused';
    this.lastStep.set(username, result);
    this.failures.delete(username);
    return 'accepted';
  }

  /** When a paused user may try again (epoch ms), if they are paused. */
  pausedUntil(username: string): number | undefined {
    const until = this.failures.get(username)?.pausedUntil ?? 0;
    return until > this.now() ? until : undefined;
  }

  /** The time step a code belongs to, or `undefined` when it is not a code of `secret` near now. */
  private verify(secret: string, code: string): number | undefined {
    try {
      const result = verifySync({
        ...TOTP,
        secret,
        token: code,
        epoch: Math.floor(this.now() / 1000),
        epochTolerance: CLOCK_TOLERANCE_IN_SECONDS,
      });
      return result.valid && 'timeStep' in result ? result.timeStep : undefined;
    } catch {
      return undefined;
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [session, challenge] of this.challenges) {
      if (challenge.expiresAt <= now) this.challenges.delete(session);
    }
  }
}
