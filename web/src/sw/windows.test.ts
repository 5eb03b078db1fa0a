import { describe, expect, it } from 'vitest';
import { conversationUrl, parseWorkerMessage } from './messages';
import { planClick, someoneIsLooking, type WindowFacts } from './windows';

const SCOPE = 'https://parley.example/';
const window = (facts: Partial<WindowFacts>): WindowFacts => ({
  url: `${SCOPE}#other`,
  visibilityState: 'hidden',
  focused: false,
  ...facts,
});

describe('a click on a notification', () => {
  it('opens a window on the conversation when no Parley window is open', () => {
    expect(planClick([], SCOPE, 'c-1')).toEqual({ kind: 'open', url: 'https://parley.example/#c-1' });
    expect(planClick([window({ url: 'https://elsewhere.example/' })], SCOPE, 'c-1')).toMatchObject({
      kind: 'open',
    });
  });

  it('opens the app itself for a notification of no conversation', () => {
    expect(planClick([], SCOPE, undefined)).toEqual({ kind: 'open', url: SCOPE });
  });

  it('brings forward the focused window, else a visible one, else any', () => {
    const hidden = window({});
    const visible = window({ visibilityState: 'visible' });
    const focused = window({ visibilityState: 'visible', focused: true });
    expect(planClick([hidden, visible, focused], SCOPE, 'c-1')).toEqual({ kind: 'focus', index: 2 });
    expect(planClick([hidden, visible], SCOPE, 'c-1')).toEqual({ kind: 'focus', index: 1 });
    expect(planClick([hidden], SCOPE, 'c-1')).toEqual({ kind: 'focus', index: 0 });
  });
});

describe('a push while Parley is open', () => {
  it('is left to the app only when one of its windows is in view and focused', () => {
    expect(someoneIsLooking([window({ visibilityState: 'visible', focused: true })])).toBe(true);
    expect(someoneIsLooking([window({ visibilityState: 'visible' }), window({ focused: true })])).toBe(false);
    expect(someoneIsLooking([])).toBe(false);
  });
});

describe('messages from the worker', () => {
  it('are read only in the shapes the worker sends', () => {
    expect(parseWorkerMessage({ type: 'parley:open-conversation', conversationId: 'c-1' })).toEqual({
      type: 'parley:open-conversation',
      conversationId: 'c-1',
    });
    expect(parseWorkerMessage({ type: 'parley:push-subscription-changed' })).toEqual({
      type: 'parley:push-subscription-changed',
    });
    expect(parseWorkerMessage({ type: 'parley:open-conversation' })).toBeUndefined();
    expect(parseWorkerMessage('parley:open-conversation')).toBeUndefined();
  });

  it('open a conversation at the address the app reads it from', () => {
    expect(conversationUrl(SCOPE, 'c-1')).toBe('https://parley.example/#c-1');
  });
});
