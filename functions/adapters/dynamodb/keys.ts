/**
 * Every key format of the main table, in one place.
 *
 * | item          | pk             | sk                       | gsi1pk       | gsi1sk        |
 * |---------------|----------------|--------------------------|--------------|---------------|
 * | user          | USER#{userId}  | PROFILE                  |              |               |
 * | connection    | USER#{userId}  | CONN#{connectionId}      |              |               |
 * | conversation  | CONV#{convId}  | META                     |              |               |
 * | membership    | CONV#{convId}  | MEMBER#{userId}          | USER#{userId}| CONV#{convId} |
 * | log head      | CONV#{convId}  | HEAD                     |              |               |
 * | message       | CONV#{convId}  | MSG#{seq, 12 digits}     |              |               |
 * | send record   | CONV#{convId}  | MID#{senderId}#{msgId}   |              |               |
 */
export const keys = {
  user: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  connection: (userId: string, connectionId: string) => ({
    pk: `USER#${userId}`,
    sk: `CONN#${connectionId}`,
  }),
  connectionPrefix: 'CONN#',
  userPk: (userId: string) => `USER#${userId}`,
  conversation: (conversationId: string) => ({ pk: `CONV#${conversationId}`, sk: 'META' }),
  conversationPk: (conversationId: string) => `CONV#${conversationId}`,
  member: (conversationId: string, userId: string) => ({
    pk: `CONV#${conversationId}`,
    sk: `MEMBER#${userId}`,
  }),
  memberPrefix: 'MEMBER#',
  memberIndex: (conversationId: string, userId: string) => ({
    gsi1pk: `USER#${userId}`,
    gsi1sk: `CONV#${conversationId}`,
  }),
  head: (conversationId: string) => ({ pk: `CONV#${conversationId}`, sk: 'HEAD' }),
  message: (conversationId: string, seq: number) => ({
    pk: `CONV#${conversationId}`,
    sk: `MSG#${String(seq).padStart(12, '0')}`,
  }),
  sendRecord: (conversationId: string, senderId: string, messageId: string) => ({
    pk: `CONV#${conversationId}`,
    sk: `MID#${senderId}#${messageId}`,
  }),
} as const;

/** DynamoDB TTL is in epoch seconds. */
export function ttlFromMs(epochMs: number): number {
  return Math.ceil(epochMs / 1000);
}

/** Whether DynamoDB's condition check rejected a write (by name: SDK error classes differ by bundle). */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
