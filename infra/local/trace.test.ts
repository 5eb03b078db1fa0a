import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor } from '../../test/support/api';
import { type Persona, signUp } from '../../test/support/personas';
import { startTestStack, type TestStack } from '../../test/support/stack';

describe('tracing the local stack', () => {
  let stack: TestStack;
  let alice: Persona;

  beforeAll(async () => {
    stack = await startTestStack({ trace: true, logLevel: 'WARN' });
    alice = await signUp(stack, 'alice');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('names the invocation that made each request, with both its spans', async () => {
    const trace = stack.trace;
    if (!trace) throw new Error('the stack was started with tracing');
    trace.start();
    await apiFor(stack, alice).getMe();
    const records = trace.stop();

    const [invocation] = records.invocations.filter((record) => record.functionName === 'httpAccount');
    expect(invocation?.ok).toBe(true);
    const requests = records.requests.filter((request) => request.invocationId === invocation?.id);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.service).toBe('dynamodb');
      expect(request.sentAt).toBeDefined();
      expect(request.answeredAt).toBeDefined();
    }
  });

  it('records nothing while it is not recording', async () => {
    const trace = stack.trace;
    if (!trace) throw new Error('the stack was started with tracing');
    await apiFor(stack, alice).getMe();
    trace.start();
    const records = trace.stop();
    expect(records.invocations).toEqual([]);
    expect(records.requests).toEqual([]);
  });
});
