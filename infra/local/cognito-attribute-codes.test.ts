import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTE_CODE_PAUSE_IN_MS,
  ATTRIBUTE_CODE_VALIDITY_IN_MS,
  AttributeCodeGuard,
  WRONG_ATTRIBUTE_CODES_BEFORE_LIMIT,
} from './cognito-attribute-codes';

/** A guard whose clock the test sets (epoch ms). */
function guardAt(start: number) {
  const clock = { now: start };
  return { guard: new AttributeCodeGuard(() => clock.now), clock };
}

describe('the local check of codes that verify a new email', () => {
  it('takes a code for a day after it was sent, and calls it expired after that', () => {
    const { guard, clock } = guardAt(1_000_000);
    guard.sent('u');
    clock.now += ATTRIBUTE_CODE_VALIDITY_IN_MS;
    expect(guard.state('u')).toBe('open');
    clock.now += 1;
    expect(guard.state('u')).toBe('expired');
    // A new code is a fresh day.
    guard.sent('u');
    expect(guard.state('u')).toBe('open');
  });

  it('takes a code it never saw sent (the front restarted), as the stand-in still has it', () => {
    expect(guardAt(0).guard.state('u')).toBe('open');
  });

  it('refuses a user’s codes for 15 minutes after five wrong ones in a row, new codes included', () => {
    const { guard, clock } = guardAt(0);
    guard.sent('u');
    for (let n = 1; n < WRONG_ATTRIBUTE_CODES_BEFORE_LIMIT; n++) guard.wrong('u');
    expect(guard.state('u')).toBe('open');
    guard.wrong('u');
    expect(guard.state('u')).toBe('limited');
    guard.sent('u');
    expect(guard.state('u')).toBe('limited');
    expect(guard.state('someone else')).toBe('open');
    clock.now += ATTRIBUTE_CODE_PAUSE_IN_MS;
    expect(guard.state('u')).toBe('open');
  });

  it('forgets wrong codes once the right one is entered', () => {
    const { guard } = guardAt(0);
    guard.sent('u');
    for (let n = 1; n < WRONG_ATTRIBUTE_CODES_BEFORE_LIMIT; n++) guard.wrong('u');
    guard.verified('u');
    guard.sent('u');
    guard.wrong('u');
    expect(guard.state('u')).toBe('open');
  });
});
