/**
 * What each function's bundle holds, read from esbuild's metafile of the
 * bundles the local stack runs and `NodejsFunction` builds: a function carries
 * the SDK clients its bindings use and nothing it never calls.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_DESCRIPTIONS } from '../shared/api/route-descriptions';
import { bundleFunctions } from './local/lambda-runtime';
import { type Binding, FUNCTIONS, type FunctionName, HTTP_GROUP_FUNCTIONS } from './topology';

/**
 * The package a binding needs in the bundle, found by its path in the metafile's
 * inputs. A bucket needs none: `S3BlobStore` signs its own requests; nor do the
 * user pool's admin calls: `CognitoAccountDirectory` signs its own too.
 */
const PACKAGE_OF_BINDING: Record<string, string> = {
  table: '@aws-sdk/client-dynamodb/',
  queue: '@aws-sdk/client-sqs/',
  connections: '@aws-sdk/client-apigatewaymanagementapi/',
  'userPool:verifyTokens': 'aws-jwt-verify/',
};
const bindingKey = (binding: Binding) =>
  binding.kind === 'userPool' ? `${binding.kind}:${binding.access}` : binding.kind;

/**
 * The longest run of each route summary and description that esbuild prints as
 * written: it escapes non-ASCII characters, may change the quotes around a
 * string, and leaves a template's expressions (`${MAX_…}`) unfolded, so runs
 * stop at digits, quotes, backticks and anything outside ASCII.
 */
const PROSE = Object.values(ROUTE_DESCRIPTIONS)
  .flatMap((route: { summary: string; description?: string }) => [route.summary, route.description ?? ''])
  .map((text) =>
    (text.match(/[A-Za-z ,.;:()/-]+/g) ?? []).reduce((a, b) => (b.length > a.length ? b : a), ''),
  )
  .filter((run) => run.trim().length >= 12);

describe('function bundles', () => {
  const buildDir = mkdtempSync(join(tmpdir(), 'parley-bundles-'));
  let metafile: Metafile;
  let bundles: Record<FunctionName, string>;
  const inputsOf = (name: FunctionName) => {
    const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(`${name}/index.mjs`));
    if (!output) throw new Error(`No bundle for ${name}`);
    return Object.keys(output[1].inputs);
  };
  const holds = (name: FunctionName, fragment: string) =>
    inputsOf(name).some((input) => input.includes(`node_modules/${fragment}`));

  beforeAll(async () => {
    const bundled = await bundleFunctions(buildDir, { metafile: true });
    if (!bundled.metafile) throw new Error('esbuild returned no metafile');
    metafile = bundled.metafile;
    bundles = bundled.bundles;
  }, 120_000);
  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    '%s bundles exactly the clients its bindings use',
    (name) => {
      const needed = new Set(
        FUNCTIONS[name].bindings.flatMap((binding) => PACKAGE_OF_BINDING[bindingKey(binding)] ?? []),
      );
      for (const fragment of Object.values(PACKAGE_OF_BINDING)) {
        expect(holds(name, fragment), `${name} and ${fragment}`).toBe(needed.has(fragment));
      }
    },
  );

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    '%s leaves out the S3 client and what only it uses: a bucket binding brings only the signing adapter',
    (name) => {
      for (const fragment of [
        '@aws-sdk/client-s3/',
        '@aws-sdk/middleware-sdk-s3/',
        '@aws-sdk/signature-v4-multi-region/',
        '@aws-sdk/xml-builder/',
        '@aws-sdk/checksums/',
      ]) {
        expect(holds(name, fragment), `${name} and ${fragment}`).toBe(false);
      }
      const usesBucket = FUNCTIONS[name].bindings.some((binding) => binding.kind === 'bucket');
      expect(inputsOf(name).includes('functions/adapters/s3/s3-blob-store.ts')).toBe(usesBucket);
    },
  );

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    "%s leaves out the Cognito client: the user pool's admin calls are signed requests of its own",
    (name) => {
      expect(holds(name, '@aws-sdk/client-cognito-identity-provider/')).toBe(false);
      const administers = FUNCTIONS[name].bindings.some(
        (binding) => binding.kind === 'userPool' && binding.access !== 'verifyTokens',
      );
      expect(inputsOf(name).includes('functions/adapters/cognito/cognito-account-directory.ts')).toBe(
        administers,
      );
    },
  );

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    "%s leaves out the SDK's default credential chain: credentials come from the environment",
    (name) => {
      for (const fragment of ['@aws-sdk/credential-provider-node/', '@aws-sdk/nested-clients/']) {
        expect(holds(name, fragment), `${name} and ${fragment}`).toBe(false);
      }
    },
  );

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    "%s leaves out the SDK's endpoint-discovery cache and its LRU library: no command reads it",
    (name) => {
      for (const fragment of ['@aws-sdk/endpoint-cache/', 'mnemonist/']) {
        expect(holds(name, fragment), `${name} and ${fragment}`).toBe(false);
      }
    },
  );

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    "%s leaves out the SDK's event-stream code: no operation of its clients has an event stream",
    (name) => {
      expect(holds(name, '@smithy/core/dist-es/submodules/event-streams/'), name).toBe(false);
    },
  );

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    '%s builds its schemas with zod/mini alone, and carries its English messages and no other locale',
    (name) => {
      // One classic schema brings classic zod's ~100 KiB of methods beside zod/mini's core.
      expect(holds(name, 'zod/v4/classic/'), `${name} and classic zod`).toBe(false);
      const locales = inputsOf(name).filter(
        (input) => input.includes('node_modules/zod/v4/locales/') && !input.endsWith('/index.js'),
      );
      expect(locales).toEqual(['node_modules/zod/v4/locales/en.js']);
    },
  );

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    '%s carries the API description and the response schemas only if it serves the OpenAPI document',
    (name) => {
      const servesDocument = name === HTTP_GROUP_FUNCTIONS.description;
      const code = readFileSync(bundles[name], 'utf8');
      // The document's function is the control: what it must hold shows the search would find the prose.
      const found = PROSE.filter((run) => code.includes(run));
      expect(found, name).toEqual(servesDocument ? PROSE : []);
      expect(inputsOf(name).includes('shared/api/route-descriptions.ts'), name).toBe(servesDocument);
      expect(inputsOf(name).includes('shared/api/route-responses.ts'), name).toBe(servesDocument);
    },
  );

  it("bundles one copy of Powertools' commons, shared by the logger and the batch processor", () => {
    const copies = new Set(
      Object.keys(metafile.inputs)
        .map((input) => input.match(/^(.*node_modules\/@aws-lambda-powertools\/commons)\//)?.[1])
        .filter((path) => path !== undefined),
    );
    expect([...copies]).toHaveLength(1);
  });
});
