import { useState } from 'preact/hooks';
import { ApiError } from '../../../shared/client/api-client';
import type { ChatModel } from '../app/model';
import { DoneLine, ErrorLine, FormButtons, useOpenedForm, useStep } from './account-form';

/** An email address near enough to send to: one `@`, something on each side, a dot after it, no spaces. */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type EmailChange =
  | { readonly kind: 'closed' }
  | { readonly kind: 'entering' }
  | { readonly kind: 'code-sent'; readonly email: string }
  /** The account's email changed; the server has yet to take it (people still find the old one). */
  | { readonly kind: 'not-followed'; readonly email: string };

/**
 * A new email, then the code sent to it. Until the code is entered the account keeps its email, for signing
 * in too, so Cancel at any step changes nothing. Then this session signs in again with the new email, and
 * the server takes it, so people find the account by it and no longer by the old one.
 */
export function ChangeEmail(props: { model: ChatModel }) {
  const { model } = props;
  const { session } = model;
  const [state, setState] = useState<EmailChange>({ kind: 'closed' });
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState<string>();
  const [done, setDone] = useState<string>();
  const { busy, error, setError, run } = useStep();
  const form = useOpenedForm(state.kind);

  const go = (next: EmailChange) => {
    setState(next);
    setCode('');
    setSent(undefined);
    setError(undefined);
  };
  const cancel = () => {
    setEmail('');
    go({ kind: 'closed' });
  };

  const sendCode = (event: Event) => {
    event.preventDefault();
    const wanted = email.trim();
    if (!EMAIL_SHAPE.test(wanted)) {
      setError('That is not an email address. Check it and try again.');
      return;
    }
    if (wanted.toLowerCase() === session.email.toLowerCase()) {
      setError('That is the email you have now. Enter the new one.');
      return;
    }
    void run(async () => {
      setDone(undefined);
      await session.cognito.requestEmailChange(await session.accessToken(), wanted);
      go({ kind: 'code-sent', email: wanted });
    });
  };

  const sendAnother = () =>
    run(async () => {
      if (state.kind !== 'code-sent') return;
      setSent(undefined);
      await session.cognito.resendEmailCode(await session.accessToken());
      setCode('');
      setSent(`We sent a new code to ${state.email}. The one before no longer works.`);
    });

  /** The server takes the account's new email; when it cannot, the person can ask again. */
  const follow = async (changed: string) => {
    try {
      await model.followEmail();
    } catch (caught) {
      go({ kind: 'not-followed', email: changed });
      setError(
        caught instanceof ApiError && caught.code === 'CONFLICT'
          ? `You sign in with ${changed} now, but another Parley profile still holds that email, so people cannot find you by it yet. Try again later.`
          : `You sign in with ${changed} now, but Parley could not update your profile: people still find you by your old email. Try again.`,
      );
      return;
    }
    setEmail('');
    go({ kind: 'closed' });
    setDone(`Your email is now ${changed}. Sign in with it from now on.`);
  };

  const confirm = (event: Event) => {
    event.preventDefault();
    if (state.kind !== 'code-sent') return;
    void run(async () => {
      setSent(undefined);
      await session.cognito.confirmEmailChange(await session.accessToken(), code.trim());
      session.changeEmail(state.email);
      await follow(state.email);
    });
  };

  const errorLine = <ErrorLine id="email-error" error={error} />;
  return (
    <div class="change-email">
      <h4>Email</h4>
      <DoneLine text={done} />
      {state.kind === 'closed' ? (
        <>
          <p class="small">
            You sign in with <strong class="email">{session.email}</strong>. People can find you by it on
            Parley.
          </p>
          <p>
            <button type="button" onClick={() => go({ kind: 'entering' })}>
              Change email…
            </button>
          </p>
        </>
      ) : null}
      {state.kind === 'entering' ? (
        <form
          ref={form}
          class="account-form"
          onSubmit={sendCode}
          noValidate
          aria-describedby={error ? 'email-error' : 'new-email-rule'}
        >
          <p class="small">
            Your email now: <strong class="email">{session.email}</strong>
          </p>
          <label>
            New email
            <input
              type="email"
              name="new-email"
              autoComplete="email"
              required
              maxLength={254}
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </label>
          <p id="new-email-rule" class="hint">
            We send a code to the new email. Until you enter it, your email stays as it is, for signing in
            too.
          </p>
          {errorLine}
          <FormButtons busy={busy} submit="Send code" onCancel={cancel} />
        </form>
      ) : null}
      {state.kind === 'code-sent' ? (
        <form
          ref={form}
          class="account-form"
          onSubmit={confirm}
          aria-describedby={error ? 'email-error' : undefined}
        >
          <p class="small" role="status">
            Code sent to <strong class="email">{state.email}</strong>. Enter it here to make it your email. It
            can take a minute to arrive.
          </p>
          <label>
            Code from the email
            <input
              name="email-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]*"
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value.replace(/\s/g, ''))}
            />
          </label>
          <DoneLine text={sent} />
          {errorLine}
          <FormButtons busy={busy} submit="Change email" onCancel={cancel}>
            <button type="button" disabled={busy} onClick={() => void sendAnother()}>
              Send a new code
            </button>
          </FormButtons>
        </form>
      ) : null}
      {state.kind === 'not-followed' ? (
        <>
          {errorLine}
          <p class="profile-actions">
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={() => void run(() => follow(state.email))}
            >
              {busy ? 'Please wait…' : 'Try again'}
            </button>
          </p>
        </>
      ) : null}
    </div>
  );
}
