/**
 * The user pool's password policy (`PASSWORD_POLICY` in the topology), checked in the browser before
 * sign-up so a weak password gets a clear answer at once. A test keeps the two in step.
 */
export const PASSWORD_RULES = {
  minLength: 12,
  requireLowercase: true,
  requireUppercase: true,
  requireDigits: true,
  requireSymbols: true,
} as const;

/** What is missing from a password, in words; empty when it is strong enough. */
export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_RULES.minLength)
    problems.push(`at least ${PASSWORD_RULES.minLength} characters`);
  if (PASSWORD_RULES.requireLowercase && !/[a-z]/.test(password)) problems.push('a lower case letter');
  if (PASSWORD_RULES.requireUppercase && !/[A-Z]/.test(password)) problems.push('an upper case letter');
  if (PASSWORD_RULES.requireDigits && !/[0-9]/.test(password)) problems.push('a digit');
  if (PASSWORD_RULES.requireSymbols && !/[^A-Za-z0-9]/.test(password)) problems.push('a symbol');
  return problems;
}
