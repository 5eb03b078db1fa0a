import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamodb/keys';
import { LocalTableMissingError } from '../../infra/local/dynamodb';
import type { TableName } from '../../infra/topology';
import { restoreLocalTable } from '../../tools/restore-local-table';
import { apiFor, befriend, logAfter } from '../support/api';
import { signInAgain, signUp } from '../support/personas';
import { connect } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

/** The stack's own table: the one a restore leaves as it was. */
const OLD_TABLE: TableName = 'main';
const RESTORED_TABLE = 'parley-local-restored';

const body = (text: string) => Buffer.from(text).toString('base64');

/**
 * The switch of the restore runbook (docs/operations.md, "Restore the table"), rehearsed: the stage's table
 * is copied to a new name with the stack stopped, as a restore makes a new table, and the stack started
 * again with `tableName` pointing every function at the copy, as `-c tableName=` does on AWS.
 */
describe('switching the stage to a restored table', () => {
  let dataDir: string;
  let stack: TestStack | undefined;

  beforeAll(async () => {
    // The same directory for both starts: the second must find the first one's data.
    dataDir = await mkdtemp(join(tmpdir(), 'parley-restore-'));
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses to start on a table that does not exist', async () => {
    await expect(startTestStack({ dataDir, tableName: 'parley-local-missing' })).rejects.toThrow(
      LocalTableMissingError,
    );
  });

  it('serves the history from the restored table and keeps new messages there, not in the old one', async () => {
    stack = await startTestStack({ dataDir });
    let [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    const { conversationId } = await apiFor(stack, alice).createConversation({
      body: { kind: 'direct', userId: bob.userId },
    });
    for (const [persona, text] of [
      [alice, 'one'],
      [bob, 'two'],
      [alice, 'three'],
    ] as const) {
      await apiFor(stack, persona).postMessage({
        params: { conversationId },
        body: { messageId: `m-${text}`, body: body(text) },
      });
    }
    const history = await logAfter(apiFor(stack, alice), conversationId);
    expect(history.map((message) => message.seq)).toEqual([1, 2, 3]);
    await stack.stop();
    stack = undefined;

    const restored = await restoreLocalTable({ dataDir, to: RESTORED_TABLE });

    stack = await startTestStack({ dataDir, tableName: RESTORED_TABLE });
    expect(stack.resources.tableNames.main).toBe(RESTORED_TABLE);
    [alice, bob] = await Promise.all([signInAgain(stack, alice), signInAgain(stack, bob)]);
    const shape = (messages: typeof history) =>
      messages.map(({ seq, messageId, senderId, body }) => ({ seq, messageId, senderId, body }));
    expect(shape(await logAfter(apiFor(stack, bob), conversationId))).toEqual(shape(history));

    // Every function on the path uses the copy: $connect stores bob's connection there, and the fan-out
    // finds it there.
    const bobPhone = await connect(stack.endpoints.webSocketUrl, bob.accessToken);
    const posted = await apiFor(stack, alice).postMessage({
      params: { conversationId },
      body: { messageId: 'm-four', body: body('four') },
    });
    expect(posted.seq).toBe(4);
    expect(
      await bobPhone.waitFor((frame) => (frame as { messageId?: string }).messageId === 'm-four'),
    ).toMatchObject({ type: 'message', seq: 4 });
    await bobPhone.close();

    const restoredTable = tableReader(stack, RESTORED_TABLE);
    const oldTable = tableReader(stack, OLD_TABLE);
    try {
      const newKey = keys.message(conversationId, 4);
      expect(await restoredTable.get(newKey.pk, newKey.sk)).toMatchObject({ messageId: 'm-four' });
      expect(await oldTable.get(newKey.pk, newKey.sk)).toBeUndefined();
      // The old table is as the restore found it: every item of it was copied, nothing was added since.
      const oldItems = await oldTable.client.send(new ScanCommand({ TableName: OLD_TABLE, Select: 'COUNT' }));
      expect(oldItems.Count).toBe(restored.items);
      const lastKey = keys.message(conversationId, 3);
      expect(await oldTable.get(lastKey.pk, lastKey.sk)).toMatchObject({ messageId: 'm-three' });
    } finally {
      restoredTable.destroy();
      oldTable.destroy();
    }
  });
});
