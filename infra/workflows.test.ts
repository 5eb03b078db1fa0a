import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './paths';

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly permissions?: Record<string, string>;
  readonly 'timeout-minutes'?: number;
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: unknown;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const DIRECTORY = join(REPO_ROOT, '.github', 'workflows');
const files = readdirSync(DIRECTORY).filter((name) => /\.ya?ml$/.test(name));
const workflows = files.map((name) => {
  const text = readFileSync(join(DIRECTORY, name), 'utf8');
  return { name, text, workflow: parse(text) as Workflow };
});
/** The action that assumes a role with the workflow's OIDC token: the only reason to ask for one. */
const ASSUMES_ROLE = /^aws-actions\/configure-aws-credentials@/;

/** The GitHub Actions workflows, checked as a reviewer would before they ever run. */
describe('the CI workflows', () => {
  it('are there, and each is valid YAML with jobs', () => {
    expect(files).toContain('checks.yml');
    for (const { workflow } of workflows) {
      expect(workflow.on).toBeDefined();
      expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
    }
  });

  it('pin every action to a commit, with the version it is in a comment', () => {
    for (const { name, text, workflow } of workflows) {
      for (const job of Object.values(workflow.jobs)) {
        for (const { uses } of job.steps) {
          if (uses === undefined || uses.startsWith('./')) continue;
          expect(uses, `${name}: ${uses}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
          const line = text.split('\n').find((l) => l.includes(uses)) ?? '';
          expect(line, `${name}: ${uses}`).toMatch(/# v\d+(\.\d+)*$/);
        }
      }
    }
  });

  it('read the code and nothing more, but where a job assumes a role with an OIDC token', () => {
    for (const { name, workflow } of workflows) {
      expect(workflow.permissions, name).toEqual({ contents: 'read' });
      for (const [id, job] of Object.entries(workflow.jobs)) {
        const assumes = job.steps.some((step) => step.uses !== undefined && ASSUMES_ROLE.test(step.uses));
        const granted = Object.entries(job.permissions ?? {}).filter(([, level]) => level !== 'read');
        expect(granted, `${name} ${id}`).toEqual(assumes ? [['id-token', 'write']] : []);
      }
    }
  });

  it('give every job a time limit', () => {
    for (const { name, workflow } of workflows) {
      for (const [id, job] of Object.entries(workflow.jobs)) {
        expect(job['timeout-minutes'], `${name} ${id}`).toBeGreaterThan(0);
      }
    }
  });

  it('run the README’s checks on every pull request: .ci/run, and cdk synth of each stage', () => {
    const checks = workflows.find((w) => w.name === 'checks.yml')?.workflow as Workflow;
    expect(checks.on).toMatchObject({ pull_request: null });
    const runs = Object.values(checks.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ''));
    expect(runs).toContain('bash .ci/run');
    expect(runs.some((run) => run.startsWith('npx cdk synth -c stage='))).toBe(true);
    expect(JSON.stringify(checks.jobs.synth)).toContain('"stage":["dev","prod"]');
  });
});
