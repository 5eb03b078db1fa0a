/**
 * Stands in for `@smithy/core/event-streams` in function bundles (an esbuild
 * alias, `infra/bundling.ts`). The SDK's protocols load that module with a
 * dynamic `import()` for an operation with an event stream (S3 Select, for
 * one), and esbuild bundles the target of a dynamic import all the same: about
 * 7 KiB gzip in every function. No operation of the clients the functions use
 * (DynamoDB, SQS, Cognito, the API Gateway management API) has an event
 * stream, which a test checks against each client's own schemas. Should a
 * later client reach one, the call fails with this error instead.
 * Unbundled code (tests, tools) keeps the real module.
 */

/** Thrown by the SDK call that needed event streams. */
export class EventStreamsLeftOutError extends Error {
  constructor() {
    super(
      'Event streams are left out of function bundles (functions/composition/no-event-streams.ts): ' +
        'drop the esbuild alias of @smithy/core/event-streams to use an operation with one',
    );
    this.name = 'EventStreamsLeftOutError';
  }
}

function leftOut(): never {
  throw new EventStreamsLeftOutError();
}

/** What the SDK's protocols call first: fails before anything is sent or read. */
export const eventStreamSerdeProvider = leftOut;

export class EventStreamSerde {
  constructor() {
    leftOut();
  }
}
