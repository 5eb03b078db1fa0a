// One Lambda execution environment: loads a bundled handler once (the cold
// start), then runs one invocation at a time, as Lambda does.

import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { bundlePath, functionName, memorySizeMb, region } = workerData;
let handlerPromise;

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

parentPort.on('message', async ({ id, event, requestId, deadline }) => {
  try {
    const handler = await loadHandler();
    const value = await handler(event, contextFor(requestId, deadline));
    parentPort.postMessage({ id, ok: true, value });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: serializeError(error) });
  }
});
