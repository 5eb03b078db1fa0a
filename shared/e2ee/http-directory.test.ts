import { describe, expect, it } from 'vitest';
import { HttpDirectory } from './http-directory';

/** A device list the test changes between reads, and how often it was read. */
function server() {
  const state = { revokedAt: undefined as string | undefined, reads: 0 };
  const api = {
    listDevices: async ({ params }: { params: { userId: string } }) => {
      state.reads += 1;
      return {
        items: [
          {
            userId: params.userId,
            deviceId: 'tablet',
            signaturePublicKey: 'AAAA',
            createdAt: '2026-12-04T10:00:00.000Z',
            revoked: state.revokedAt !== undefined,
            ...(state.revokedAt === undefined ? {} : { revokedAt: state.revokedAt }),
          },
        ],
      };
    },
  };
  return { state, api: api as unknown as ConstructorParameters<typeof HttpDirectory>[0] };
}

describe('HttpDirectory', () => {
  it('serves a cached list, but reads again for a judgment as of a later moment than it read for', async () => {
    const { state, api } = server();
    const directory = new HttpDirectory(api, () => 0);
    expect((await directory.deviceKey('bob', 'tablet'))?.revoked).toBe(false);
    state.revokedAt = '2026-12-04T10:00:01.000Z';

    // Within the cache's lifetime a plain lookup keeps the copy it has...
    expect((await directory.deviceKey('bob', 'tablet'))?.revoked).toBe(false);
    // ...but a commit stored at 10:00:02 is judged by a list read after it.
    const judged = await directory.deviceKey('bob', 'tablet', {
      asOf: Date.parse('2026-12-04T10:00:02.000Z'),
    });
    expect(judged).toMatchObject({ revoked: true, revokedAt: Date.parse(state.revokedAt) });
    expect(state.reads).toBe(2);
    // Judging that moment again, or an earlier one, needs no further read.
    await directory.deviceKey('bob', 'tablet', { asOf: Date.parse('2026-12-04T10:00:02.000Z') });
    await directory.deviceKey('bob', 'tablet', { asOf: Date.parse('2026-12-04T09:00:00.000Z') });
    expect(state.reads).toBe(2);
  });
});
