/**
 * What `GET /conversations` reads for a user in many groups: seeds one user into `GROUPS` groups with a
 * message each (through the stores, straight into the local table), then meters the first page and a
 * walk through every page the way the web client does at start (`limit=100`). Run with
 * `npx tsx bench/conversation-list.ts [groups]`; prints requests and read units per case.
 */
import { DynamoDbConversationStore } from '../functions/adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbMessageLog } from '../functions/adapters/dynamodb/dynamodb-message-log';
import { seedMessages } from '../test/support/fixtures';
import { signUp } from '../test/support/personas';
import { startTestStack, type TestStack } from '../test/support/stack';
import { tableReader } from '../test/support/table';

const GROUPS = Number(process.argv[2] ?? 500);
const T0 = Date.UTC(2026, 0, 1);

async function main() {
  const stack = await startTestStack({ logLevel: 'WARN' });
  const table = tableReader(stack);
  try {
    const user = await signUp(stack, 'many');
    const conversations = new DynamoDbConversationStore(table.client, table.tableName);
    const messages = new DynamoDbMessageLog(table.client, table.tableName);
    for (let start = 0; start < GROUPS; start += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, GROUPS - start) }, async (_, offset) => {
          const index = start + offset;
          const conversationId = `g_bench${String(index).padStart(5, '0')}`;
          await conversations.createIfAbsent(
            {
              conversationId,
              kind: 'group',
              name: `Group ${index}`,
              memberIds: [user.userId, 'someone'],
              createdBy: user.userId,
              createdAt: T0,
              version: 1,
              membersVersion: 1,
            },
            [user.userId, 'someone'].map((userId) => ({
              conversationId,
              userId,
              role: 'member' as const,
              joinedAt: T0,
              delivered: 0,
              read: 0,
              readContentCount: 0,
            })),
          );
          await seedMessages(messages, conversationId, 'someone', 1, T0 + index * 1000);
        }),
      );
    }
    const results = {
      firstPageOf20: await metered(stack, () => pages(stack, user.accessToken, 20, 1)),
      everyPageOf100: await metered(stack, () => pages(stack, user.accessToken, 100, Infinity)),
    };
    console.log(JSON.stringify({ groups: GROUPS, ...results }, null, 2));
  } finally {
    table.destroy();
    await stack.stop();
  }
}

/** Reads up to `max` pages of `limit`; how many conversations came back. */
async function pages(stack: TestStack, token: string, limit: number, max: number): Promise<number> {
  let cursor: string | undefined;
  let seen = 0;
  for (let page = 0; page < max; page += 1) {
    const url = `${stack.endpoints.httpApiUrl}/conversations?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET /conversations answered ${response.status}`);
    const body = (await response.json()) as { items: unknown[]; next?: string };
    seen += body.items.length;
    cursor = body.next;
    if (!cursor) break;
  }
  return seen;
}

async function metered(stack: TestStack, run: () => Promise<number>) {
  stack.meter.reset();
  stack.meter.meterCapacity(true);
  const conversations = await run();
  stack.meter.meterCapacity(false);
  const requests = Object.fromEntries(
    Object.entries(stack.meter.snapshot()).filter(([operation]) => operation.startsWith('dynamodb')),
  );
  return { conversations, requests, readUnits: stack.meter.usage().dynamodb.readUnits };
}

await main();
