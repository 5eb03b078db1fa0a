/** A verification code the local identity provider would have emailed. */
export interface Mail {
  readonly to: string;
  readonly username: string;
  readonly code: string;
  /** The API call that sent it, e.g. `SignUp`, `ForgotPassword`. */
  readonly reason: string;
  readonly sentAt: string;
}

type Listener = (mail: Mail) => void;

const LOOKUP_INTERVAL_IN_MS = 250;

/**
 * The local dev mailbox. The Cognito stand-in prints each code it would send
 * inside a box; this reads the box line by line.
 */
export class Mailbox {
  private readonly mails: Mail[] = [];
  private readonly listeners = new Set<Listener>();
  private draft: { reason: string; username?: string; to?: string } | undefined;

  /**
   * @param lookup reads a code from the stand-in's own store. Its log stream
   *   now and then holds a code back until the next one is logged, so a
   *   waiting reader also looks there.
   */
  constructor(private readonly lookup: (to: string) => Omit<Mail, 'sentAt'> | undefined = () => undefined) {}

  private record(mail: Mail): void {
    if (this.mails.some((known) => known.code === mail.code && known.to === mail.to)) return;
    this.mails.push(mail);
    for (const listener of this.listeners) listener(mail);
  }

  /** Records a code delivered by other means than the stand-in's log (a resent code). */
  deliver(mail: Omit<Mail, 'sentAt'>): void {
    this.record({ ...mail, sentAt: new Date().toISOString() });
  }

  readLine(raw: string): void {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colour codes
    const line = raw.replace(/\u001b\[[0-9;]*m/g, '');
    const start = /\S+ (\w+) ╭/.exec(line);
    if (start) {
      this.draft = { reason: start[1] as string };
      return;
    }
    if (!this.draft) return;
    const field = /│\s+(Username|Destination|Code):\s+(\S+)/.exec(line);
    if (field?.[1] === 'Username') this.draft.username = field[2];
    if (field?.[1] === 'Destination') this.draft.to = field[2];
    if (field?.[1] === 'Code' && this.draft.username && this.draft.to) {
      const mail: Mail = {
        to: this.draft.to,
        username: this.draft.username,
        code: field[2] as string,
        reason: this.draft.reason,
        sentAt: new Date().toISOString(),
      };
      this.draft = undefined;
      this.record(mail);
    }
  }

  /** Every mail so far, oldest first. */
  list(): readonly Mail[] {
    return [...this.mails];
  }

  /**
   * The mails to one address, oldest first, after looking in the stand-in's own store for the code its log
   * may still be holding back: what a reader polling the mailbox over HTTP sees.
   */
  listFor(to: string): readonly Mail[] {
    const wanted = to.toLowerCase();
    const found = this.lookup(wanted);
    if (found) this.record({ ...found, sentAt: new Date().toISOString() });
    return this.mails.filter((mail) => mail.to.toLowerCase() === wanted);
  }

  /** The latest mail to an address, waiting for it if it has not come yet. */
  waitFor(to: string, timeoutMs = 5000): Promise<Mail> {
    const wanted = to.toLowerCase();
    const existing = this.mails.findLast((mail) => mail.to.toLowerCase() === wanted);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const nudges = setInterval(() => {
        const found = this.lookup(wanted);
        if (found) this.record({ ...found, sentAt: new Date().toISOString() });
      }, LOOKUP_INTERVAL_IN_MS);
      const timer = setTimeout(() => {
        clearInterval(nudges);
        this.listeners.delete(listener);
        reject(new Error(`No mail to ${to} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener: Listener = (mail) => {
        if (mail.to.toLowerCase() !== wanted) return;
        clearTimeout(timer);
        clearInterval(nudges);
        this.listeners.delete(listener);
        resolve(mail);
      };
      this.listeners.add(listener);
    });
  }
}
