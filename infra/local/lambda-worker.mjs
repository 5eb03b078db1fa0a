// One Lambda execution environment: loads a bundled handler once (the cold
// start), then runs one invocation at a time, as Lambda does.

import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { bundlePath, functionName, memorySizeMb, region, invocationHeader } = workerData;
let handlerPromise;

/** The invocation whose code is running, across its awaits: its id and the requests it made. */
const invocation = new AsyncLocalStorage();

/** A moment on the clock every thread of the process shares (ms since the epoch, sub-ms precision). */
const now = () => performance.timeOrigin + performance.now();

// Tracing: every HTTP request the handler makes (its SDK clients' calls to the
// stand-ins) is named `{invocation id}/{n}` in a header, so a stand-in can tell
// who asked, and the environment notes when the function sent it and when the
// answer was in: the function's own view of the round trip, which a stand-in
// busy with other callers cannot give. An agent's addRequest runs while the
// request's headers can still be set, in the caller's async context; the SDK's
// clients all send through an agent.
if (invocationHeader) {
  const addRequest = http.Agent.prototype.addRequest;
  http.Agent.prototype.addRequest = function addRequestWithInvocation(request, options) {
    const current = invocation.getStore();
    if (current !== undefined && !request.headersSent) {
      const timing = { n: current.requests.length + 1, sentAt: now() };
      current.requests.push(timing);
      request.setHeader(invocationHeader, `${current.id}/${timing.n}`);
      request.once('response', (response) =>
        response.once('end', () => {
          timing.answeredAt = now();
        }),
      );
    }
    return addRequest.call(this, request, options);
  };
}

function loadHandler() {
  handlerPromise ??= import(pathToFileURL(bundlePath).href).then((module) => {
    if (typeof module.handler !== 'function') throw new Error(`${bundlePath} exports no handler`);
    return module.handler;
  });
  return handlerPromise;
}

function contextFor(requestId, deadline) {
  return {
    awsRequestId: requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memorySizeMb),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

function serializeError(error) {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

// The init phase: the handler module loads as soon as the environment starts,
// and the runtime hands it an invocation once it has.
loadHandler().then(
  () => parentPort.postMessage({ type: 'initialized' }),
  (error) => parentPort.postMessage({ type: 'initialized', error: serializeError(error) }),
);

parentPort.on('message', async ({ id, event, requestId, deadline, traced }) => {
  // Lambda bills the handler's run, from the event handed over to the result returned.
  let started;
  const current = { id, requests: [] };
  try {
    const handler = await loadHandler();
    started = performance.now();
    const context = contextFor(requestId, deadline);
    // Async context tracking costs something on every promise of the thread: it
    // is on only for an invocation made while a trace records, and off after it.
    const value = traced
      ? await Promise.resolve(invocation.run(current, () => handler(event, context))).finally(() =>
          invocation.disable(),
        )
      : await handler(event, context);
    const durationMs = performance.now() - started;
    parentPort.postMessage({ id, ok: true, value, durationMs, requests: current.requests });
  } catch (error) {
    const durationMs = started === undefined ? 0 : performance.now() - started;
    parentPort.postMessage({
      id,
      ok: false,
      error: serializeError(error),
      durationMs,
      requests: current.requests,
    });
  }
});
