import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../../shared/client/api-client';
import { PASSWORD_POLICY } from '../../../shared/protocol/limits';
import { passwordProblems } from '../../../shared/protocol/password';
import type { ChatModel } from '../app/model';
import { linkQr, type QrPath } from '../app/qr';
import { CognitoError, type CognitoTokens } from '../auth/cognito';

/** What a refused step says next to its fields; anything else is said in plain words too. */
function wordsOf(error: unknown): string {
  return error instanceof CognitoError ? error.message : 'Something went wrong. Try again.';
}

/** Runs one step of a form: busy while it runs, its refusal kept in words for the form to show. */
function useStep() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await step();
    } catch (caught) {
      setError(wordsOf(caught));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/**
 * The account's password, email and two-step sign-in. All talk to the user pool from the browser, with the
 * session's access token; turning two-step sign-in off asks for the password and a code first.
 */
export function SecuritySection(props: { model: ChatModel; onPasswordChanged: () => void }) {
  return (
    <section aria-labelledby="security-title">
      <h3 id="security-title">Password and sign-in</h3>
      <ChangePassword model={props.model} onChanged={props.onPasswordChanged} />
      <ChangeEmail model={props.model} />
      <TwoStepSignIn model={props.model} />
    </section>
  );
}

/**
 * Current and new password. A changed password signs every browser out, this one too: whoever knew the old
 * password is locked out, and this browser signs in again with the new one (its keys and history stay).
 */
function ChangePassword(props: { model: ChatModel; onChanged: () => void }) {
  const { session } = props.model;
  const [open, setOpen] = useState(false);
  const [current, setCurrent] = useState('');
  const [proposed, setProposed] = useState('');
  const { busy, error, setError, run } = useStep();
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    form.current?.scrollIntoView({ block: 'nearest' });
    form.current?.querySelector('input')?.focus({ preventScroll: true });
  }, [open]);

  if (!open) {
    return (
      <p>
        <button type="button" onClick={() => setOpen(true)}>
          Change password…
        </button>
      </p>
    );
  }
  const submit = (event: Event) => {
    event.preventDefault();
    const problems = passwordProblems(proposed);
    if (problems.length > 0) {
      setError(`Choose a stronger password: it needs ${problems.join(', ')}.`);
      return;
    }
    if (proposed === current) {
      setError('The new password is the one you have now. Choose another.');
      return;
    }
    void run(async () => {
      await session.cognito.changePassword(await session.accessToken(), current, proposed);
      props.onChanged();
    });
  };
  return (
    <form
      ref={form}
      class="account-form"
      onSubmit={submit}
      aria-describedby={error ? 'password-error' : undefined}
    >
      <h4>Change password</h4>
      <label>
        Current password
        <input
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </label>
      <label>
        New password
        <input
          type="password"
          autoComplete="new-password"
          required
          minLength={PASSWORD_POLICY.minLength}
          aria-describedby="new-password-rule"
          value={proposed}
          onInput={(e) => setProposed(e.currentTarget.value)}
        />
      </label>
      <p id="new-password-rule" class="hint">
        At least {PASSWORD_POLICY.minLength} characters, with upper and lower case letters, a digit and a
        symbol. Changing it signs you out on every browser, this one too: sign in again with the new password.
      </p>
      {error ? (
        <p id="password-error" class="error" role="alert">
          {error}
        </p>
      ) : null}
      <p class="profile-actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Please wait…' : 'Change password'}
        </button>
        <button type="button" disabled={busy} onClick={() => setOpen(false)}>
          Cancel
        </button>
      </p>
    </form>
  );
}

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
function ChangeEmail(props: { model: ChatModel }) {
  const { model } = props;
  const { session } = model;
  const [state, setState] = useState<EmailChange>({ kind: 'closed' });
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState<string>();
  const [done, setDone] = useState<string>();
  const { busy, error, setError, run } = useStep();
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    form.current?.scrollIntoView({ block: 'nearest' });
    form.current?.querySelector('input')?.focus({ preventScroll: true });
  }, [state.kind]);

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

  const errorLine = error ? (
    <p id="email-error" class="error" role="alert">
      {error}
    </p>
  ) : null;
  return (
    <div class="change-email">
      <h4>Email</h4>
      {done ? (
        <p class="info" role="status">
          {done}
        </p>
      ) : null}
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
          <p class="profile-actions">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Please wait…' : 'Send code'}
            </button>
            <button type="button" disabled={busy} onClick={cancel}>
              Cancel
            </button>
          </p>
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
          {sent ? (
            <p class="info" role="status">
              {sent}
            </p>
          ) : null}
          {errorLine}
          <p class="profile-actions">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Please wait…' : 'Change email'}
            </button>
            <button type="button" disabled={busy} onClick={() => void sendAnother()}>
              Send a new code
            </button>
            <button type="button" disabled={busy} onClick={cancel}>
              Cancel
            </button>
          </p>
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

type TwoStep =
  | { readonly kind: 'loading' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'off' }
  | { readonly kind: 'setting-up'; readonly secret: string; readonly qr: QrPath }
  | { readonly kind: 'on' }
  | { readonly kind: 'turning-off' };

/** The address an authenticator app reads from the QR code (Key Uri Format): the account, the key, the rules. */
function otpauthLink(email: string, secret: string): string {
  const label = encodeURIComponent(`Parley:${email}`);
  return `otpauth://totp/${label}?secret=${secret}&issuer=Parley&algorithm=SHA1&digits=6&period=30`;
}

/** A setup key in groups of four, as authenticator apps show and take it. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * Two-step sign-in with an authenticator app (TOTP): set up with a QR code or the key as text, confirmed by a
 * first code; turned off only after the password and a current code.
 */
function TwoStepSignIn(props: { model: ChatModel }) {
  const { session } = props.model;
  const [state, setState] = useState<TwoStep>({ kind: 'loading' });
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string>();
  const { busy, error, setError, run } = useStep();
  const form = useRef<HTMLFormElement>(null);
  // A form that opens below the fold is brought into view, its first field ready.
  useEffect(() => {
    form.current?.scrollIntoView({ block: 'nearest' });
    form.current?.querySelector('input')?.focus({ preventScroll: true });
  }, [state.kind]);

  useEffect(() => {
    let current = true;
    void (async () => {
      try {
        const { twoStep } = await session.cognito.accountSecurity(await session.accessToken());
        if (current) setState({ kind: twoStep ? 'on' : 'off' });
      } catch {
        if (current) setState({ kind: 'unknown' });
      }
    })();
    return () => {
      current = false;
    };
  }, []);

  const reset = (next: TwoStep) => {
    setState(next);
    setCode('');
    setPassword('');
    setError(undefined);
  };

  const setUp = () =>
    run(async () => {
      setDone(undefined);
      const secret = await session.cognito.associateAuthenticator(await session.accessToken());
      reset({ kind: 'setting-up', secret, qr: await linkQr(otpauthLink(session.email, secret)) });
    });

  const turnOn = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await session.cognito.turnOnAuthenticator(await session.accessToken(), code.trim());
      reset({ kind: 'on' });
      setDone('Two-step sign-in is on. Parley will ask for a code from your app each time you sign in.');
    });
  };

  /** Proves it is the person, with the password and a code, as a sign-in does; then turns it off. */
  const turnOff = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { cognito } = session;
      let tokens: CognitoTokens;
      try {
        const first = await cognito.signIn(session.email, password);
        tokens = 'session' in first ? await cognito.answerMfa(first, code.trim()) : first;
      } catch (caught) {
        if (caught instanceof CognitoError && caught.exception === 'NotAuthorizedException')
          throw new CognitoError(caught.exception, 'Your password is not right.');
        throw caught;
      }
      await cognito.turnOffAuthenticator(tokens.accessToken);
      // That sign-in was only a proof: its session ends here.
      if (tokens.refreshToken) await cognito.revokeToken(tokens.refreshToken).catch(() => undefined);
      reset({ kind: 'off' });
      setDone('Two-step sign-in is off. Your password alone signs you in.');
    });
  };

  const errorLine = error ? (
    <p id="two-step-error" class="error" role="alert">
      {error}
    </p>
  ) : null;
  const codeInput = (
    <label>
      Code from the app
      <input
        name="authenticator-code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]*"
        required
        value={code}
        onInput={(e) => setCode(e.currentTarget.value.replace(/\s/g, ''))}
      />
    </label>
  );
  return (
    <div class="two-step">
      <h4>Two-step sign-in</h4>
      {state.kind === 'loading' ? <p class="muted small">Checking…</p> : null}
      {state.kind === 'unknown' ? (
        <p class="muted small">Parley could not read this setting now. Open Settings again in a moment.</p>
      ) : null}
      {done ? (
        <p class="info" role="status">
          {done}
        </p>
      ) : null}
      {state.kind === 'off' ? (
        <>
          <p class="muted small">
            Off. Turn it on to need a code from an authenticator app on your phone (such as Google
            Authenticator, Microsoft Authenticator, 1Password or Aegis) as well as your password each time you
            sign in.
          </p>
          {errorLine}
          <p>
            <button type="button" disabled={busy} onClick={() => void setUp()}>
              Turn on two-step sign-in…
            </button>
          </p>
        </>
      ) : null}
      {state.kind === 'setting-up' ? (
        <form
          ref={form}
          class="account-form"
          onSubmit={turnOn}
          aria-describedby={error ? 'two-step-error' : undefined}
        >
          <p>1. In your authenticator app, add an account by scanning this QR code:</p>
          <svg
            class="qr"
            viewBox={`0 0 ${state.qr.size} ${state.qr.size}`}
            role="img"
            aria-label="QR code to add Parley to your authenticator app"
          >
            <rect width={state.qr.size} height={state.qr.size} fill="#ffffff" />
            <path d={state.qr.path} fill="#000000" />
          </svg>
          <p class="small">
            Or enter this setup key by hand (time-based):{' '}
            <code class="setup-key">{grouped(state.secret)}</code>
          </p>
          <p>2. Enter the 6-digit code the app now shows for Parley.</p>
          {codeInput}
          {errorLine}
          <p class="profile-actions">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Please wait…' : 'Turn on'}
            </button>
            <button type="button" disabled={busy} onClick={() => reset({ kind: 'off' })}>
              Cancel
            </button>
          </p>
        </form>
      ) : null}
      {state.kind === 'on' ? (
        <>
          <p class="muted small">
            On. Each sign-in asks for your password and a code from your authenticator app. Keep the app: if
            you lose it, you cannot sign in until Parley's operators turn this off for you.
          </p>
          <p>
            <button type="button" onClick={() => reset({ kind: 'turning-off' })}>
              Turn off two-step sign-in…
            </button>
          </p>
        </>
      ) : null}
      {state.kind === 'turning-off' ? (
        <form
          ref={form}
          class="account-form"
          onSubmit={turnOff}
          aria-describedby={error ? 'two-step-error' : undefined}
        >
          <p class="small">To turn it off, enter your password and a code from your authenticator app.</p>
          <label>
            Password
            <input
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          {codeInput}
          {errorLine}
          <p class="profile-actions">
            <button type="submit" class="danger" disabled={busy}>
              {busy ? 'Please wait…' : 'Turn off'}
            </button>
            <button type="button" disabled={busy} onClick={() => reset({ kind: 'on' })}>
              Cancel
            </button>
          </p>
        </form>
      ) : null}
    </div>
  );
}
