import { describe, expect, it } from 'vitest';
import { Mailbox } from './mailbox';

describe('the local dev mailbox', () => {
  it('finds, for one address, a code the stand-in stored but its log held back', () => {
    const held = { to: 'ana@example.com', username: 'u-1', code: '123456', reason: 'SignUp' };
    const mailbox = new Mailbox((to) => (to === 'ana@example.com' ? held : undefined));
    // The log showed nothing yet: the whole list is empty.
    expect(mailbox.list()).toEqual([]);
    expect(mailbox.listFor('Ana@Example.com')).toEqual([expect.objectContaining(held)]);
    expect(mailbox.list()).toEqual([expect.objectContaining(held)]);
    // Asked again, or once the log shows it, it is still one mail.
    mailbox.listFor('ana@example.com');
    expect(mailbox.list()).toHaveLength(1);
    expect(mailbox.listFor('bo@example.com')).toEqual([]);
  });
});
