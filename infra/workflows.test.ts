import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_DEPLOY_STAGES } from './deploy-access';
import { REPO_ROOT } from './paths';

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly if?: string;
  readonly needs?: string | readonly string[];
  readonly environment?: string;
  readonly env?: Record<string, string>;
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
/** A GitHub Actions expression as a workflow writes it. */
const expression = (body: string) => `$${'{{'} ${body} }}`;

/** The GitHub Actions workflows, checked as a reviewer would before they ever run. */
describe('the CI workflows', () => {
  it('are there, and each is valid YAML with jobs', () => {
    expect(files).toEqual(expect.arrayContaining(['checks.yml', 'deploy.yml']));
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

  it('never expand an expression inside a script, where a value could become a command', () => {
    for (const { name, workflow } of workflows) {
      for (const [id, job] of Object.entries(workflow.jobs)) {
        for (const { run } of job.steps) expect(run ?? '', `${name} ${id}`).not.toContain('${{');
      }
    }
  });

  it('diff every stage on a pull request with the read-only role, and skip it where no token is given', () => {
    const diff = workflows.find((w) => w.name === 'checks.yml')?.workflow.jobs.diff as Job;
    expect(diff.if).toContain("github.event_name == 'pull_request'");
    expect(diff.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(JSON.stringify(diff)).toContain('vars.AWS_DIFF_ROLE_ARN');
    expect(JSON.stringify(diff)).not.toContain('AWS_DEPLOY_ROLE_ARN');
    const runs = diff.steps.map((step) => step.run ?? '');
    expect(runs).toContain('npx cdk diff --all -c stage="$STAGE" $PARLEY_CDK_CONTEXT --method=template');
  });

  describe('deploy', () => {
    const deploy = workflows.find((w) => w.name === 'deploy.yml')?.workflow as Workflow;
    const stages = Object.entries(deploy.jobs).map(([id, job]) => ({ id, job }));

    it('starts only from a push to main whose checks passed, and deploys that commit', () => {
      expect(deploy.on).toEqual({
        workflow_run: { workflows: ['checks'], types: ['completed'], branches: ['main'] },
      });
      expect(stages[0]?.job.if).toBe(
        "github.event.workflow_run.conclusion == 'success' && github.event.workflow_run.event == 'push'",
      );
      for (const { job } of stages) {
        expect(job.steps[0]?.with).toEqual({ ref: expression('github.event.workflow_run.head_sha') });
      }
    });

    it('goes through the stages in order, each in its GitHub environment, the next only after the last', () => {
      expect(stages.map(({ id, job }) => [id, job.environment, job.env?.STAGE])).toEqual(
        DEFAULT_DEPLOY_STAGES.map((stage) => [stage, stage, stage]),
      );
      stages.slice(1).forEach(({ job }, index) => {
        expect(job.needs).toBe(stages[index]?.id);
      });
    });

    it('deploys every stack with the deploy role, then smoke-tests the stage from its outputs', () => {
      for (const { id, job } of stages) {
        const uses = job.steps.map((step) => step.uses ?? '');
        const role = job.steps.find((step) => ASSUMES_ROLE.test(step.uses ?? ''))?.with;
        expect(role?.['role-to-assume'], id).toBe(expression('vars.AWS_DEPLOY_ROLE_ARN'));
        const runs = job.steps.map((step) => step.run ?? '');
        const deployAt = runs.findIndex((run) => run.startsWith('npx cdk deploy --all -c stage="$STAGE"'));
        const smokeAt = runs.indexOf('npm run smoke -- --stage "$STAGE" --outputs "outputs-$STAGE.json"');
        expect(
          uses.findIndex((use) => ASSUMES_ROLE.test(use)),
          id,
        ).toBeLessThan(deployAt);
        expect(runs[deployAt], id).toContain('--outputs-file "outputs-$STAGE.json"');
        expect(deployAt, id).toBeGreaterThan(0);
        expect(smokeAt, id).toBeGreaterThan(deployAt);
        expect(job.env?.PARLEY_CDK_CONTEXT, id).toBe(
          expression(`vars.PARLEY_CDK_CONTEXT_${id.toUpperCase()}`),
        );
      }
    });
  });
});
