import { describe, expect, it } from 'vitest';
import {
  PAUSE_IN_MS,
  SoftwareTokenGuard,
  WRONG_CODES_BEFORE_PAUSE,
  WRONG_CODES_PER_SIGN_IN,
} from './cognito-mfa';

/** RFC 6238 Appendix B's SHA-1 key, "12345678901234567890", in base32 as authenticator apps take it. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** A guard whose clock the test sets (epoch ms). */
function guardAt(start: number) {
  const clock = { now: start };
  return { guard: new SoftwareTokenGuard(3, () => clock.now), clock };
}

describe('the local second-factor check', () => {
  it('accepts the codes of RFC 6238’s SHA-1 test vectors, cut to six digits as apps show them', () => {
    // Appendix B: 94287082 at T = 59 s, 07081804 at T = 1111111109 s, 14050471 at T = 1111111111 s.
    for (const [seconds, code] of [
      [59, '287082'],
      [1111111109, '081804'],
      [1111111111, '050471'],
    ] as const) {
      const { guard } = guardAt(seconds * 1000);
      expect(guard.check('u', RFC_SECRET, code)).toBe('accepted');
    }
  });

  it('accepts a code one period early or late, and none older', () => {
    // 287082 belongs to the step of 30–59 s.
    expect(guardAt(89_000).guard.check('u', RFC_SECRET, '287082')).toBe('accepted');
    expect(guardAt(5_000).guard.check('u', RFC_SECRET, '287082')).toBe('accepted');
    expect(guardAt(125_000).guard.check('u', RFC_SECRET, '287082')).toBe('wrong');
  });

  it('never accepts a step twice for one user, nor an earlier step after a later one', () => {
    const { guard, clock } = guardAt(59_000);
    expect(guard.check('u', RFC_SECRET, '287082')).toBe('accepted');
    expect(guard.check('u', RFC_SECRET, '287082')).toBe('reused');
    clock.now = 1111111109_000;
    expect(guard.check('u', RFC_SECRET, '081804')).toBe('accepted');
    // Another user with the same secret has steps of their own.
    expect(guard.check('v', RFC_SECRET, '081804')).toBe('accepted');
  });

  it('refuses what is not six digits', () => {
    const { guard } = guardAt(59_000);
    for (const code of ['', '28708', '2870822', '28708a', ' 287082']) {
      expect(guard.check('u', RFC_SECRET, code)).toBe('wrong');
    }
  });

  it('binds a challenge to its user, ends it after its minutes, and spends it on a good code', () => {
    const { guard, clock } = guardAt(59_000);
    const session = guard.open('u');
    expect(guard.isOpen(session, 'v')).toBe(false);
    expect(guard.isOpen('made-up', 'u')).toBe(false);
    expect(guard.isOpen(session, 'u')).toBe(true);
    expect(guard.answer(session, 'u', RFC_SECRET, '287082')).toBe('accepted');
    expect(guard.isOpen(session, 'u')).toBe(false);
    const late = guard.open('u');
    clock.now += 3 * 60_000;
    expect(guard.isOpen(late, 'u')).toBe(false);
  });

  it('spends a challenge after its wrong codes, and pauses a user after five in a row', () => {
    const { guard, clock } = guardAt(59_000);
    const first = guard.open('u');
    for (let n = 1; n <= WRONG_CODES_PER_SIGN_IN; n++) {
      expect(guard.isOpen(first, 'u')).toBe(true);
      expect(guard.answer(first, 'u', RFC_SECRET, '000000')).toBe('wrong');
    }
    expect(guard.isOpen(first, 'u')).toBe(false);
    const second = guard.open('u');
    for (let n = WRONG_CODES_PER_SIGN_IN + 1; n <= WRONG_CODES_BEFORE_PAUSE; n++) {
      expect(guard.answer(second, 'u', RFC_SECRET, '000000')).toBe('wrong');
    }
    // Paused: even the right code is refused, and it says until when.
    expect(guard.check('u', RFC_SECRET, '287082')).toBe('paused');
    expect(guard.pausedUntil('u')).toBe(59_000 + PAUSE_IN_MS);
    clock.now = 59_000 + PAUSE_IN_MS;
    expect(guard.pausedUntil('u')).toBeUndefined();
  });

  it('forgets wrong codes once a right one comes', () => {
    const { guard } = guardAt(59_000);
    for (let n = 1; n < WRONG_CODES_BEFORE_PAUSE; n++) guard.check('u', RFC_SECRET, '000000');
    expect(guard.check('u', RFC_SECRET, '287082')).toBe('accepted');
    expect(guard.check('u', RFC_SECRET, '000000')).toBe('wrong');
    expect(guard.pausedUntil('u')).toBeUndefined();
  });
});
