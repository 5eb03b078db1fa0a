/**
 * `npm run bench -- delete`: what deleting an account takes, by its size. Each account has as many friends
 * as groups; each group has two friends of it as members and one message of theirs, and each friend a
 * direct conversation with it. `DELETE /me` is timed from the client and its billed units are counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { apiFor, befriend, rawRequest } from '../test/support/api';
import { signInAgain, signUp } from '../test/support/personas';
import { startTestStack } from '../test/support/stack';
import { UNLIMITED } from './allowances';
import { inPool, signUpMany } from './population';

const SIZES = (process.env.BENCH_DELETE_SIZES ?? '0,20,100').split(',').map(Number);
const BODY = Buffer.alloc(256, 7).toString('base64');
/** Long enough for the fan-out of the deletion's pushes to be counted. */
const SETTLE_IN_MS = 2_000;

interface Row {
  readonly size: number;
  readonly ms: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly gsiWriteUnits: number;
  readonly failedConditionalWrites: number;
  readonly sqsSends: number;
}

export async function measureDeleteAccount(): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-delete-'));
  const stack = await startTestStack({ dataDir, rateLimits: UNLIMITED, caps: { groupsPerUser: 1000 } });
  try {
    const rows: Row[] = [];
    for (const size of SIZES) {
      const owner = await signUp(stack, `owner${size}`);
      const friends = size === 0 ? [] : await signUpMany(stack, Math.max(2, size), `f${size}`);
      await inPool(friends, 8, (friend) => befriend(stack, owner, friend));
      const owners = apiFor(stack, owner);
      await inPool(
        Array.from({ length: size }, (_, n) => n),
        8,
        async (n) => {
          const members = [friends[n % friends.length], friends[(n + 1) % friends.length]];
          const { conversationId } = await owners.createConversation({
            body: {
              kind: 'group',
              name: `Group ${n}`,
              memberIds: members.map((m) => (m as { userId: string }).userId),
            },
          });
          await owners.postMessage({ params: { conversationId }, body: { messageId: `g${n}`, body: BODY } });
          const friend = friends[n % friends.length] as { userId: string };
          const direct = await owners.createConversation({ body: { kind: 'direct', userId: friend.userId } });
          await owners.postMessage({
            params: { conversationId: direct.conversationId },
            body: { messageId: `d${n}`, body: BODY },
          });
        },
      );
      // A fresh sign-in: the one of the sign-up is seconds old.
      const { accessToken: fresh } = await signInAgain(stack, owner);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_IN_MS));
      stack.meter.reset();
      stack.meter.meterCapacity(true);
      const started = performance.now();
      const answer = await rawRequest(stack, { accessToken: fresh }, 'DELETE', '/me');
      const ms = performance.now() - started;
      if (answer.status !== 204)
        throw new Error(`DELETE /me answered ${answer.status}: ${await answer.text()}`);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_IN_MS));
      const usage = stack.meter.usage();
      stack.meter.meterCapacity(false);
      rows.push({
        size,
        ms,
        readUnits: usage.dynamodb.readUnits,
        writeUnits: usage.dynamodb.writeUnits,
        gsiWriteUnits: usage.dynamodb.gsiWriteUnits,
        failedConditionalWrites: usage.dynamodb.failedConditionalWrites,
        sqsSends: usage.sqs.sendRequests,
      });
    }
    return [
      '## Deleting an account',
      '',
      'One `DELETE /me` per account, timed at the client on the local stack; billed units of the whole deletion, the fan-out of its pushes included. *n* friends, *n* groups of three with a message each, *n* direct conversations with a message each.',
      '',
      '| n | time | read units | write units | GSI write units | failed conditional writes | SQS sends |',
      '|---|---|---|---|---|---|---|',
      ...rows.map(
        (row) =>
          `| ${row.size} | ${Math.round(row.ms)} ms | ${row.readUnits.toFixed(1)} | ${row.writeUnits.toFixed(1)} | ${row.gsiWriteUnits.toFixed(1)} | ${row.failedConditionalWrites} | ${row.sqsSends} |`,
      ),
    ];
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
