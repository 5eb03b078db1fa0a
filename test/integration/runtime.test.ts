import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationError, RUNTIME_EXIT_ERROR } from '../../infra/local/lambda-runtime';
import { FUNCTIONS } from '../../infra/topology';
import { type Persona, signUp } from '../support/personas';
import { connect } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';

/** The local Lambda runtime notices an execution environment that dies, as Lambda does. */
describe('the local Lambda runtime', () => {
  let stack: TestStack;
  let gina: Persona;

  beforeAll(async () => {
    stack = await startTestStack();
    gina = await signUp(stack, 'gina');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('fails an invocation whose environment is killed with Runtime.ExitError, not at its timeout', async () => {
    // The sender's timeout is the longest of the WebSocket path's: a wait for it would end in TimeoutError.
    expect(FUNCTIONS.fanoutSender.timeoutSeconds).toBeGreaterThanOrEqual(10);
    stack.faults.terminateNextInvocation('fanoutSender');

    const invocation = stack.invoke('fanoutSender', { Records: [] });

    await expect(invocation).rejects.toBeInstanceOf(InvocationError);
    await expect(invocation).rejects.toMatchObject({
      functionName: 'fanoutSender',
      errorName: RUNTIME_EXIT_ERROR,
    });
  });

  it('gives the invocation after a killed one a fresh environment, which answers', async () => {
    stack.faults.terminateNextInvocation('wsDefault');
    await expect(stack.invoke('wsDefault', {})).rejects.toMatchObject({ errorName: RUNTIME_EXIT_ERROR });

    const socket = await connect(stack.endpoints.webSocketUrl, gina.accessToken);
    socket.send({ action: 'dance', requestId: 'after' });
    expect(await socket.next('error')).toMatchObject({ code: 'UNKNOWN_ACTION', requestId: 'after' });
    await socket.close();
  });
});
