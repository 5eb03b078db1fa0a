/**
 * esbuild options for every Lambda bundle, shared by the CDK stacks
 * (`NodejsFunction`) and the local stack, so both run the same code.
 * No aws-cdk-lib import here: the local stack reads it without loading CDK.
 */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  target: 'node22',
  minify: true,
  /**
   * A map beside the bundle, named by no comment in it: a map in the function
   * doubles its zip, and `--enable-source-maps` costs 10–18 ms at every cold
   * start and ~80 ms on the first error stack. Maps stay with the build
   * (`SOURCE_MAPS_DIR_SUFFIX`); `npm run decode-stack` maps a logged stack back.
   */
  sourceMap: 'external',
  // Stack traces need only the mappings; embedding the sources would ship them twice.
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // Some dependencies are CommonJS inside an ESM bundle and call `require`.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  /**
   * Module substitutions, paths relative to the repository root (esbuild's
   * working directory in both builds). The SDK's default credential chain is
   * replaced by environment credentials (`functions/composition/env-credentials.ts`),
   * DynamoDB's endpoint-discovery cache by one without `mnemonist`
   * (`functions/composition/endpoint-cache.ts`), and the SDK's event-stream
   * code, which no client of the functions uses, by a module that refuses
   * (`functions/composition/no-event-streams.ts`). For `web-push` in the push sender: its proxy agent,
   * never used, by one that refuses (`no-proxy-agent.ts`), and `asn1.js`, used for one PEM, by Node's
   * crypto writing it (`vapid-pem.ts`).
   */
  alias: {
    '@aws-sdk/credential-provider-node': './functions/composition/env-credentials.ts',
    '@aws-sdk/endpoint-cache': './functions/composition/endpoint-cache.ts',
    '@smithy/core/event-streams': './functions/composition/no-event-streams.ts',
    'https-proxy-agent': './functions/composition/no-proxy-agent.ts',
    'asn1.js': './functions/composition/vapid-pem.ts',
  },
} as const;

/**
 * Where `cdk synth` keeps the functions' source maps: beside the cloud
 * assembly (`cdk.out` → `cdk.out.sourcemaps/{stage}/{function}/index.mjs.map`),
 * never inside an asset.
 */
export const SOURCE_MAPS_DIR_SUFFIX = '.sourcemaps';
