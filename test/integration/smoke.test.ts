import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUTS } from '../../infra/topology';
import { runSmoke } from '../../tools/smoke/run-smoke';
import { apiFor } from '../support/api';
import { cognitoClient, type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/** Runs the smoke CLI as the deploy pipeline does; resolves with its exit code and output. */
function smokeCli(outputsFile: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'tools/smoke.ts', '--stage', 'local', '--outputs', outputsFile],
      { timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const emailsIn = (output: string) => /Test accounts: (.+)/.exec(output)?.[1]?.split(', ') ?? [];

describe('the smoke test of a stage (npm run smoke)', () => {
  let stack: TestStack;
  let outputsFile: string;
  let onlooker: Persona;

  /** Neither the user pool nor the product knows the account any more. */
  async function expectGone(account: { email: string; userId?: string }) {
    const cognito = cognitoClient(stack);
    try {
      await expect(
        cognito.send(
          new AdminGetUserCommand({ UserPoolId: stack.endpoints.userPoolId, Username: account.email }),
        ),
      ).rejects.toMatchObject({ name: 'UserNotFoundException' });
    } finally {
      cognito.destroy();
    }
    if (account.userId !== undefined) {
      await expect(
        apiFor(stack, onlooker).getUser({ params: { userId: account.userId } }),
      ).rejects.toMatchObject({ status: 404 });
    }
  }

  beforeAll(async () => {
    stack = await startTestStack();
    outputsFile = join(stack.dataDir, 'outputs.json');
    onlooker = await signUp(stack, 'onlooker');
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('passes every step against the local stack, then leaves neither test account behind', async () => {
    const lines: string[] = [];
    const result = await runSmoke({
      stage: 'local',
      outputs: stack.outputs,
      print: (line) => lines.push(line),
    });

    expect(result.failedStep, lines.join('\n')).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.steps.map((step) => [step.name, step.outcome])).toEqual([
      ['read the outputs', 'passed'],
      ['create two users (sign-up, mailbox code)', 'passed'],
      ['sign in (USER_PASSWORD_AUTH)', 'passed'],
      ['GET /me', 'passed'],
      ['befriend (request, accept)', 'passed'],
      ['register devices with key packages', 'passed'],
      ['connect WebSockets', 'passed'],
      ['create a direct conversation', 'passed'],
      ['MLS group of both devices (commit, pushed Welcome)', 'passed'],
      ['send an encrypted message over the WebSocket', 'passed'],
      ['receive the push and decrypt it', 'passed'],
      ['site serves /config.json', 'passed'],
      ['close WebSockets', 'passed'],
      ['delete the test accounts (DELETE /me)', 'passed'],
    ]);
    // The message went over the sender's WebSocket, as the web client sends while connected.
    expect(stack.traffic.some((r) => r.api === 'websocket' && r.body.includes('"action":"send"'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^Smoke test of stage local passed in \d+\.\d s$/);
    expect(result.accounts).toHaveLength(2);
    for (const account of result.accounts) {
      expect(account.email).toMatch(/^smoke-[0-9a-f]{8}-[ab]@example\.com$/);
      expect(account.userId).toBeDefined();
      await expectGone(account);
    }
  }, 120_000);

  it('makes the accounts as on AWS when asked (AdminCreateUser, no email), and removes them', async () => {
    const lines: string[] = [];
    const mailsBefore = stack.mailbox.list().length;
    const result = await runSmoke({
      stage: 'local',
      outputs: stack.outputs,
      accounts: 'admin',
      print: (line) => lines.push(line),
    });

    expect(result.failedStep, lines.join('\n')).toBeUndefined();
    expect(result.steps[1]).toMatchObject({ name: 'create two users (AdminCreateUser)', outcome: 'passed' });
    // MessageAction SUPPRESS: the pool sent no invitation.
    expect(stack.mailbox.list().slice(mailsBefore)).toEqual([]);
    expect(result.accounts).toHaveLength(2);
    for (const account of result.accounts) await expectGone(account);
  }, 120_000);

  it('exits 0 as a command, printing each step with its time', async () => {
    const { code, output } = await smokeCli(outputsFile);

    expect(code, output).toBe(0);
    expect(output).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}ok {4}receive the push and decrypt it +\d+ ms$/m);
    const emails = emailsIn(output);
    expect(emails).toHaveLength(2);
    for (const email of emails) await expectGone({ email });
  }, 120_000);

  it('exits non-zero naming the step that failed when the WebSocket URL is wrong, and still cleans up', async () => {
    const broken = join(stack.dataDir, 'outputs-broken.json');
    const outputs = structuredClone(stack.outputs);
    for (const part of Object.values(outputs)) {
      if (part[OUTPUTS.realtime.webSocketUrl] !== undefined) {
        part[OUTPUTS.realtime.webSocketUrl] = `ws://127.0.0.1:${await closedPort()}`;
      }
    }
    writeFileSync(broken, JSON.stringify(outputs));

    const { code, output } = await smokeCli(broken);

    expect(code, output).toBe(1);
    expect(output).toMatch(/FAIL {2}connect WebSockets .*ECONNREFUSED/);
    expect(output).toContain('FAILED at step "connect WebSockets"');
    expect(output).not.toMatch(/ok {4}create a direct conversation/);
    expect(output).toMatch(/ok {4}delete the test accounts/);
    // A refused connection fails the step at once, not by running out the step's time.
    expect(output).not.toContain('took longer than');
    const emails = emailsIn(output);
    expect(emails).toHaveLength(2);
    for (const email of emails) await expectGone({ email });
  }, 120_000);

  it('fails the step whose request hangs once its time is up, and removes the accounts from the user pool', async () => {
    // An HTTP API that takes requests and never answers them.
    const hanging = createHttpServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const outputs = structuredClone(stack.outputs);
    for (const part of Object.values(outputs)) {
      if (part[OUTPUTS.http.httpApiUrl] !== undefined) {
        part[OUTPUTS.http.httpApiUrl] = `http://127.0.0.1:${(hanging.address() as { port: number }).port}`;
      }
    }
    const lines: string[] = [];
    try {
      const result = await runSmoke({
        stage: 'local',
        outputs,
        stepTimeoutMs: 2000,
        print: (line) => lines.push(line),
      });

      expect(result.ok).toBe(false);
      expect(result.failedStep, lines.join('\n')).toBe('GET /me');
      expect(result.steps.find((step) => step.name === 'GET /me')?.detail).toBe(
        'StepTimeoutError: GET /me took longer than 2000 ms',
      );
      expect(lines.at(-1)).toMatch(/FAILED at step "GET \/me"/);
      // DELETE /me hangs too: the accounts go from the user pool instead, and the cleanup says so.
      expect(result.steps.at(-1)).toMatchObject({
        name: 'delete the test accounts (DELETE /me)',
        outcome: 'failed',
      });
      expect(result.steps.at(-1)?.detail).toContain('removed from the user pool instead');
      expect(result.accounts).toHaveLength(2);
      for (const account of result.accounts) await expectGone({ email: account.email });
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  }, 60_000);
});
