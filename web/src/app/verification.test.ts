import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  clearVerification,
  forgetVerifications,
  markVerified,
  readVerification,
  reconcileVerification,
} from './verification';

/** `localStorage` as the browser has it, for Node. */
class MemoryStorage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, String(value));
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

describe('verification records', () => {
  beforeEach(() => {
    vi.stubGlobal('localStorage', new MemoryStorage());
  });

  it('keeps a verification while the contact’s devices stay the same', () => {
    markVerified('alice', 'bob', 'devices-1');

    expect(reconcileVerification('alice', 'bob', 'devices-1')).toEqual({
      state: 'verified',
      contactDevices: 'devices-1',
    });
    // Marking verified is also comparing, for the Settings warning.
    expect(localStorage.getItem('parley.compared-devices.bob')).toBe('devices-1');
  });

  it('turns a verification into "changed" when the contact’s devices change, until verified again', () => {
    markVerified('alice', 'bob', 'devices-1');

    expect(reconcileVerification('alice', 'bob', 'devices-2')).toEqual({
      state: 'changed',
      contactDevices: 'devices-2',
    });
    expect(readVerification('alice', 'bob')?.state).toBe('changed');
    // Nothing more changes it by itself: it stays "changed", never "verified" again.
    expect(reconcileVerification('alice', 'bob', 'devices-1')?.state).toBe('changed');

    markVerified('alice', 'bob', 'devices-2');
    expect(readVerification('alice', 'bob')?.state).toBe('verified');
  });

  it('keeps one user’s verifications apart from another’s on the same browser', () => {
    markVerified('alice', 'bob', 'devices-1');

    expect(readVerification('carol', 'bob')).toBeUndefined();
    expect(reconcileVerification('carol', 'bob', 'devices-2')).toBeUndefined();
  });

  it('forgets a contact when cleared, and reads a malformed record as none', () => {
    markVerified('alice', 'bob', 'devices-1');
    clearVerification('alice', 'bob');
    expect(readVerification('alice', 'bob')).toBeUndefined();

    localStorage.setItem('parley.verified.alice.bob', '{"state":"trusted"}');
    expect(readVerification('alice', 'bob')).toBeUndefined();
  });

  it('forgets every check of the user, and no other user’s verifications', () => {
    markVerified('alice', 'bob', 'devices-1');
    markVerified('alice', 'carol', 'devices-3');
    markVerified('dave', 'bob', 'devices-1');
    localStorage.setItem('parley.session', 'dave’s session');

    forgetVerifications('alice');

    expect(readVerification('alice', 'bob')).toBeUndefined();
    expect(readVerification('alice', 'carol')).toBeUndefined();
    expect(localStorage.getItem('parley.compared-devices.carol')).toBeNull();
    expect(readVerification('dave', 'bob')?.state).toBe('verified');
    expect(localStorage.getItem('parley.session')).toBe('dave’s session');
  });
});
