/**
 * Stands in for `@aws-sdk/credential-provider-node` in function bundles (an
 * esbuild alias, `infra/bundling.ts`). Every SDK client statically imports
 * that package for its default credential chain (SSO, profiles, processes,
 * web identity, IMDS, STS and their nested clients): about 37 KB gzip in each
 * bundle, never used, since composition gives every client `fromEnv()` and
 * Lambda always puts the function's credentials in its environment.
 * Unbundled code (tests, tools) keeps the real chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
