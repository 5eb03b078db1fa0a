import { useState } from 'preact/hooks';
import type { WebConfig } from '../../../shared/client/web-config';
import { PASSWORD_POLICY } from '../../../shared/protocol/limits';
import { Session } from '../app/session';
import { type CognitoClient, CognitoError } from '../auth/cognito';
import { passwordProblems } from '../auth/password';

type Mode = 'sign-in' | 'sign-up' | 'confirm';

/** Sign in, create an account, and confirm it with the emailed code. */
export function AuthScreen(props: {
  cognito: CognitoClient;
  config: WebConfig;
  onSession: (session: Session) => void;
  /** Why the person is here, when it is not a plain sign-out (this browser was revoked). */
  notice?: string | undefined;
}) {
  const [mode, setMode] = useState<Mode>('sign-in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const [info, setInfo] = useState<string | undefined>(props.notice);
  const [busy, setBusy] = useState(false);

  const attempt = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(caught instanceof CognitoError ? caught.message : 'Something went wrong. Try again.');
      if (caught instanceof CognitoError && caught.exception === 'UserNotConfirmedException')
        setMode('confirm');
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (mode === 'sign-up') {
      const problems = passwordProblems(password);
      if (problems.length > 0) {
        setError(`Choose a stronger password: it needs ${problems.join(', ')}.`);
        return;
      }
      void attempt(async () => {
        await props.cognito.signUp(email, password);
        setMode('confirm');
        setInfo(`We sent a code to ${email}.`);
      });
    } else if (mode === 'confirm') {
      void attempt(async () => {
        await props.cognito.confirmSignUp(email, code.trim());
        setInfo('Your email is confirmed.');
        props.onSession(await Session.signIn(props.cognito, email, password));
      });
    } else {
      void attempt(async () => props.onSession(await Session.signIn(props.cognito, email, password)));
    }
  };

  const title =
    mode === 'sign-up' ? 'Create your account' : mode === 'confirm' ? 'Confirm your email' : 'Sign in';
  return (
    <main class="auth">
      <div class="auth-card">
        <p class="brand" aria-hidden="true">
          Parley
        </p>
        <h1>{title}</h1>
        <p class="muted">End-to-end encrypted chat. Only the people in a conversation can read it.</p>
        <form onSubmit={submit} aria-describedby={error ? 'auth-error' : undefined}>
          <label>
            Email
            <input
              type="email"
              name="email"
              autoComplete="email"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </label>
          {mode !== 'confirm' || password === '' ? (
            <label>
              Password
              <input
                type="password"
                name="password"
                autoComplete={mode === 'sign-up' ? 'new-password' : 'current-password'}
                required
                minLength={mode === 'sign-up' ? PASSWORD_POLICY.minLength : undefined}
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
                aria-describedby={mode === 'sign-up' ? 'password-rule' : undefined}
              />
            </label>
          ) : null}
          {mode === 'sign-up' ? (
            <p id="password-rule" class="hint">
              At least {PASSWORD_POLICY.minLength} characters, with upper and lower case letters, a digit and
              a symbol.
            </p>
          ) : null}
          {mode === 'confirm' ? (
            <label>
              Code from the email
              <input
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
            </label>
          ) : null}
          {error ? (
            <p id="auth-error" class="error" role="alert">
              {error}
            </p>
          ) : null}
          {info && !error ? (
            <p class="info" role="status">
              {info}
            </p>
          ) : null}
          <button type="submit" class="primary" disabled={busy}>
            {busy
              ? 'Please wait…'
              : mode === 'sign-up'
                ? 'Create account'
                : mode === 'confirm'
                  ? 'Confirm'
                  : 'Sign in'}
          </button>
        </form>
        {mode === 'confirm' ? (
          <p>
            <button
              type="button"
              class="link"
              disabled={busy}
              onClick={() =>
                void attempt(() => props.cognito.resendCode(email).then(() => setInfo('We sent a new code.')))
              }
            >
              Send a new code
            </button>
            {props.config.mailboxUrl ? (
              <>
                {' · '}
                <a href={props.config.mailboxUrl} target="_blank" rel="noreferrer">
                  Open the local dev mailbox
                </a>
              </>
            ) : null}
          </p>
        ) : null}
        <p>
          {mode === 'sign-in' ? (
            <button
              type="button"
              class="link"
              onClick={() => {
                setMode('sign-up');
                setError(undefined);
              }}
            >
              New here? Create an account
            </button>
          ) : (
            <button
              type="button"
              class="link"
              onClick={() => {
                setMode('sign-in');
                setError(undefined);
              }}
            >
              Have an account? Sign in
            </button>
          )}
        </p>
      </div>
    </main>
  );
}
