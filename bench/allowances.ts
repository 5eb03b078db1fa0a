/** The benchmark measures speed and cost, not the per-user allowances: every part lifts them alike. */
export const UNLIMITED = Object.fromEntries(
  ['send', 'typing', 'friendRequest', 'search', 'write', 'read'].map((action) => [
    action,
    { limit: 1_000_000, windowSeconds: 60 },
  ]),
);
