/**
 * The real CLI with real esbuild bundling, offline and without credentials:
 * what CI and `cdk deploy` run. Slow (every function is bundled), so once.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_MAPS_DIR_SUFFIX } from './bundling';
import { TOPOLOGY_METADATA_KEY } from './constructs/parley-function';
import type { CloudFormationTemplate } from './parley-app';
import { REPO_ROOT } from './paths';
import { FUNCTIONS, stackNames } from './topology';

/** The staged directories a bucket deployment of a template unpacks, by construct id prefix. */
function deploymentSources(
  outdir: string,
  template: CloudFormationTemplate,
  stackName: string,
  prefix: string,
): string[] {
  const [, deployment] =
    Object.entries(template.Resources).find(
      ([id, resource]) => resource.Type === 'Custom::CDKBucketDeployment' && id.startsWith(prefix),
    ) ?? [];
  const keys = (deployment?.Properties?.SourceObjectKeys ?? []) as string[];
  const manifest = JSON.parse(readFileSync(join(outdir, `${stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string } }>;
  };
  return keys.map((key) => {
    const file = manifest.files[key.replace(/\.zip$/, '')];
    if (!file) throw new Error(`No staged asset for ${key}`);
    return join(outdir, file.source.path);
  });
}

const SYNTH_TIMEOUT_IN_MS = 5 * 60 * 1000;

interface Run {
  readonly code: number | null;
  readonly stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        // No network beyond what synthesis needs: no version check, no telemetry, no notices.
        CDK_DISABLE_VERSION_CHECK: 'true',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('cdk synth -c stage=prod -c domain=chat.example.com (real CLI, real bundling)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'parley-synth-'));
  const names = stackNames('prod');
  let result: Run;

  beforeAll(async () => {
    // A production-like stage must name its email sender; the domain gives it one.
    result = await run('npx', [
      'cdk',
      'synth',
      '-c',
      'stage=prod',
      '-c',
      'domain=chat.example.com',
      '--quiet',
      '--no-notices',
      '-o',
      outdir,
    ]);
  }, SYNTH_TIMEOUT_IN_MS);

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(`${outdir}${SOURCE_MAPS_DIR_SUFFIX}`, { recursive: true, force: true });
  });

  const template = (stackName: string) =>
    JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8')) as CloudFormationTemplate;

  it('succeeds offline, cdk-nag included', () => {
    expect(result.stderr).not.toMatch(/AwsSolutions-\S+:|Validation failed/);
    expect(result.code, result.stderr).toBe(0);
  });

  it('writes every stack template', () => {
    for (const stackName of Object.values(names)) {
      expect(existsSync(join(outdir, `${stackName}.template.json`)), stackName).toBe(true);
    }
  });

  it('builds the web client for production and deploys it with config.json', () => {
    const stackName = names.webContent;
    const [site, config] = deploymentSources(outdir, template(stackName), stackName, 'Pages');
    const html = readFileSync(join(site as string, 'index.html'), 'utf8');
    const urls = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] as string);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url).toMatch(/-[A-Z0-9]{8}\.(js|css)$/);
      expect(existsSync(join(site as string, url)), url).toBe(true);
    }
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style\b/);
    const written = JSON.parse(readFileSync(join(config as string, 'config.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(written).toMatchObject({ stage: 'prod', userPoolId: expect.stringMatching(/^<<marker:/) });
    expect(written).not.toHaveProperty('mailboxUrl');
  });

  it('bundles every function as ESM with the AWS SDK inside, and its source map beside the assembly', () => {
    const bundled = new Set<string>();
    for (const stackName of [names.realtime, names.http]) {
      for (const resource of Object.values(template(stackName).Resources)) {
        if (resource.Type !== 'AWS::Lambda::Function') continue;
        const metadata = resource.Metadata ?? {};
        const name = (metadata[TOPOLOGY_METADATA_KEY] as { function: string }).function;
        const assetDir = join(outdir, metadata['aws:asset:path'] as string);
        const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
        expect(code.startsWith("import { createRequire } from 'node:module'"), name).toBe(true);
        expect(code, name).not.toMatch(/from\s*["']@aws-sdk\//);
        // Nothing but the code is deployed: a map would double the zip and tempt `--enable-source-maps`.
        expect(readdirSync(assetDir), name).toEqual(['index.mjs']);
        expect(code, name).not.toContain('sourceMappingURL');
        const map = join(`${outdir}${SOURCE_MAPS_DIR_SUFFIX}`, 'prod', name, 'index.mjs.map');
        expect(JSON.parse(readFileSync(map, 'utf8')), name).toMatchObject({ version: 3 });
        bundled.add(name);
      }
    }
    expect([...bundled].sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });
});
