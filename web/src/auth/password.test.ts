import { describe, expect, it } from 'vitest';
import { PASSWORD_POLICY } from '../../../infra/topology';
import { PASSWORD_RULES, passwordProblems } from './password';

describe('the sign-up password check', () => {
  it('is the user pool’s policy', () => {
    expect(PASSWORD_RULES).toEqual(PASSWORD_POLICY);
  });

  it('names what a password lacks', () => {
    expect(passwordProblems('longbutweakpassword')).toEqual(['an upper case letter', 'a digit', 'a symbol']);
    expect(passwordProblems('Short-1a')).toEqual(['at least 12 characters']);
    expect(passwordProblems('Correct-Horse-42!')).toEqual([]);
  });
});
