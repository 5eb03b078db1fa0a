import { describe, expect, it } from 'vitest';
import { PASSWORD_POLICY } from '../../infra/topology';
import { passwordProblems } from './password';

describe('the sign-up password check', () => {
  it('is the user pool’s policy: a password one character short of it is refused', () => {
    expect(passwordProblems('Aa1!'.padEnd(PASSWORD_POLICY.minLength - 1, 'x'))).toEqual([
      `at least ${PASSWORD_POLICY.minLength} characters`,
    ]);
    expect(passwordProblems('Aa1!'.padEnd(PASSWORD_POLICY.minLength, 'x'))).toEqual([]);
  });

  it('names what a password lacks', () => {
    expect(passwordProblems('longbutweakpassword')).toEqual(['an upper case letter', 'a digit', 'a symbol']);
    expect(passwordProblems('Short-1a')).toEqual(['at least 12 characters']);
    expect(passwordProblems('Correct-Horse-42!')).toEqual([]);
  });
});
