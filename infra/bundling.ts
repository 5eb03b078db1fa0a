/**
 * esbuild options for every Lambda bundle, shared by the CDK stacks
 * (`NodejsFunction`) and the local stack, so both run the same code.
 * No aws-cdk-lib import here: the local stack reads it without loading CDK.
 */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  target: 'node22',
  minify: true,
  sourceMap: true,
  // Stack traces need only the mappings; embedding the sources would ship them twice.
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // Some dependencies are CommonJS inside an ESM bundle and call `require`.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  /**
   * Module substitutions, paths relative to the repository root (esbuild's
   * working directory in both builds). The SDK's default credential chain is
   * replaced by environment credentials: see `functions/composition/env-credentials.ts`.
   */
  alias: {
    '@aws-sdk/credential-provider-node': './functions/composition/env-credentials.ts',
  },
} as const;

/** Environment every deployed function gets beside its bindings' (the benchmark starts bundles with it too). */
export const LAMBDA_ENVIRONMENT = {
  NODE_OPTIONS: '--enable-source-maps',
} as const;
