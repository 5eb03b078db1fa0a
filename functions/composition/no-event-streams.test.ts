import { readFileSync } from 'node:fs';
import { NormalizedSchema } from '@smithy/core/schema';
import { describe, expect, it } from 'vitest';
import { EventStreamSerde, EventStreamsLeftOutError, eventStreamSerdeProvider } from './no-event-streams';

const { dependencies } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};
const CLIENTS = Object.keys(dependencies).filter((name) => name.startsWith('@aws-sdk/client-'));

/** The operations of a client whose input or output has an event stream, read from its own schemas. */
async function eventStreamOperationsOf(client: string): Promise<string[]> {
  const exports: Record<string, unknown> = await import(client);
  // An operation schema: [9 (operation), namespace, name, traits, input, output].
  const operations = Object.entries(exports).filter(
    ([name, value]) => name.endsWith('$') && Array.isArray(value) && value[0] === 9,
  );
  expect(operations.length, client).toBeGreaterThan(0);
  return operations
    .filter(([, operation]) =>
      (operation as unknown[])
        .slice(4, 6)
        .some((schema) => NormalizedSchema.of(schema as never).getEventStreamMember() !== ''),
    )
    .map(([name]) => name.slice(0, -1));
}

describe('event streams, left out of the function bundles', () => {
  it.each(CLIENTS)('%s: no operation has one, but S3 Select', async (client) => {
    // S3 is never bundled in a function (a bundle test holds them to that): it is the control.
    const expected = client === '@aws-sdk/client-s3' ? ['SelectObjectContent'] : [];
    expect(await eventStreamOperationsOf(client)).toEqual(expected);
  });

  it('refuse with a clear error where the SDK would set them up', () => {
    expect(() => eventStreamSerdeProvider()).toThrow(EventStreamsLeftOutError);
    expect(() => new EventStreamSerde()).toThrow(/left out of function bundles/);
  });
});
