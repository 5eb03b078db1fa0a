import { useEffect, useRef, useState } from 'preact/hooks';
import type { WebConfig } from '../../../shared/client/web-config';
import { PASSWORD_POLICY } from '../../../shared/protocol/limits';
import { passwordProblems } from '../../../shared/protocol/password';
import { Session } from '../app/session';
import { type CognitoClient, CognitoError, type MfaChallenge } from '../auth/cognito';
import { signOutEverywhere } from '../auth/sign-out-everywhere';

type Mode = 'sign-in' | 'sign-up' | 'confirm' | 'forgot' | 'reset' | 'code';

/** A sign-in waiting for the authenticator code, and what it is for: entering, or ending a reset. */
interface PendingCode {
  readonly challenge: MfaChallenge;
  readonly purpose: 'enter' | 'reset';
}

const TITLES: Record<Mode, string> = {
  'sign-in': 'Sign in',
  'sign-up': 'Create your account',
  confirm: 'Confirm your email',
  forgot: 'Reset your password',
  reset: 'Set a new password',
  code: 'Two-step sign-in',
};

const SUBMITS: Record<Mode, string> = {
  'sign-in': 'Sign in',
  'sign-up': 'Create account',
  confirm: 'Confirm',
  forgot: 'Send code',
  reset: 'Set new password',
  code: 'Sign in',
};

/**
 * Sign in (with the code of an authenticator app when the account has two-step sign-in on), create an
 * account and confirm it with the emailed code, or set a new password with one. A new password signs every
 * other session out: whoever knew the old one is locked out.
 */
export function AuthScreen(props: {
  cognito: CognitoClient;
  config: WebConfig;
  onSession: (session: Session) => void;
  /** Why the person is here, when it is not a plain sign-out (this browser was revoked). */
  notice?: string | undefined;
  /** Whose sign-in this is, when Parley knows (the person just changed their password). */
  email?: string | undefined;
}) {
  const [mode, setMode] = useState<Mode>('sign-in');
  const [email, setEmail] = useState(props.email ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const [info, setInfo] = useState<string | undefined>(props.notice);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<PendingCode>();
  const form = useRef<HTMLFormElement>(null);
  // The code screen comes after the password: the person types the six digits straight away.
  useEffect(() => {
    if (mode === 'code') form.current?.querySelector<HTMLInputElement>('input[name="code"]')?.focus();
  }, [mode]);

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

  /** Whether the password may be set; says what it lacks when not. */
  const strongEnough = () => {
    const problems = passwordProblems(password);
    if (problems.length > 0) setError(`Choose a stronger password: it needs ${problems.join(', ')}.`);
    return problems.length === 0;
  };

  const sendResetCode = () =>
    attempt(async () => {
      await props.cognito.forgotPassword(email);
      if (mode !== 'reset') {
        setMode('reset');
        setCode('');
        setPassword('');
      }
      // The same words whether or not the email has an account.
      setInfo(`If an account uses ${email}, we sent it a code. It can take a minute to arrive.`);
    });

  /**
   * After a new password: every session ends, the one just opened too, then this browser signs in again.
   * When that sign-in asked for an authenticator code, the next one is the person's to give: the sign-in
   * screen says so.
   */
  const endReset = async (first: Session, viaCode: boolean) => {
    try {
      await signOutEverywhere(props.config.httpApiUrl, await first.accessToken());
    } catch {
      // The password is changed; the other sessions could not be ended from here. Settings can.
      props.onSession(first);
      return;
    }
    const again = viaCode ? undefined : await Session.signIn(props.cognito, email, password);
    if (again instanceof Session) return props.onSession(again);
    setPending(undefined);
    setCode('');
    setMode('sign-in');
    setInfo('Your new password is set, and every browser was signed out. Sign in with it.');
  };

  const signIn = async (purpose: PendingCode['purpose']) => {
    const result = await Session.signIn(props.cognito, email, password);
    if (result instanceof Session) {
      if (purpose === 'reset') await endReset(result, false);
      else props.onSession(result);
      return;
    }
    setPending({ challenge: result, purpose });
    setCode('');
    setInfo(undefined);
    setMode('code');
  };

  const enterCode = async (waiting: PendingCode) => {
    let session: Session;
    try {
      session = await Session.completeSignIn(props.cognito, email, waiting.challenge, code.trim());
    } catch (caught) {
      // The sign-in's few minutes, or its few wrong codes, ran out: start it again, and keep the code.
      if (!(caught instanceof CognitoError && caught.exception === 'NotAuthorizedException')) throw caught;
      const again = await Session.signIn(props.cognito, email, password);
      if (again instanceof Session) session = again;
      else {
        setPending({ ...waiting, challenge: again });
        session = await Session.completeSignIn(props.cognito, email, again, code.trim());
      }
    }
    if (waiting.purpose === 'reset') await endReset(session, true);
    else props.onSession(session);
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (mode === 'forgot') {
      void sendResetCode();
    } else if (mode === 'code' && pending) {
      void attempt(() => enterCode(pending));
    } else if (mode === 'reset') {
      if (!strongEnough()) return;
      void attempt(async () => {
        await props.cognito.confirmForgotPassword(email, code.trim(), password);
        await signIn('reset');
      });
    } else if (mode === 'sign-up') {
      if (!strongEnough()) return;
      void attempt(async () => {
        await props.cognito.signUp(email, password);
        setMode('confirm');
        setInfo(`We sent a code to ${email}.`);
      });
    } else if (mode === 'confirm') {
      void attempt(async () => {
        await props.cognito.confirmSignUp(email, code.trim());
        setInfo('Your email is confirmed.');
        await signIn('enter');
      });
    } else {
      void attempt(() => signIn('enter'));
    }
  };

  // The emailed code: after the email to set a new password, after the password to confirm a sign-up; or
  // the authenticator's, after the password.
  const codeField = (
    <label>
      {mode === 'code' ? 'Code from your authenticator app' : 'Code from the email'}
      <input
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        required
        value={code}
        onInput={(e) => setCode(e.currentTarget.value)}
      />
    </label>
  );
  const title = TITLES[mode];
  const newPassword = mode === 'sign-up' || mode === 'reset';
  const switchTo = (next: Mode) => {
    setMode(next);
    setPending(undefined);
    setError(undefined);
    setInfo(undefined);
  };
  return (
    <main class="auth">
      <div class="auth-card">
        <p class="brand" aria-hidden="true">
          Parley
        </p>
        <h1>{title}</h1>
        <p class="muted">
          {mode === 'forgot'
            ? 'Enter the email of your account. We will send you a code to set a new password.'
            : mode === 'code'
              ? `Open the authenticator app you set up for ${email} and enter the 6-digit code it shows for Parley.`
              : 'End-to-end encrypted chat. Only the people in a conversation can read it.'}
        </p>
        <form ref={form} onSubmit={submit} aria-describedby={error ? 'auth-error' : undefined}>
          {mode === 'code' ? null : (
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
          )}
          {mode === 'reset' || mode === 'code' ? codeField : null}
          {mode !== 'forgot' && mode !== 'code' && (mode !== 'confirm' || password === '') ? (
            <label>
              {mode === 'reset' ? 'New password' : 'Password'}
              <input
                type="password"
                name="password"
                autoComplete={newPassword ? 'new-password' : 'current-password'}
                required
                minLength={newPassword ? PASSWORD_POLICY.minLength : undefined}
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
                aria-describedby={newPassword ? 'password-rule' : undefined}
              />
            </label>
          ) : null}
          {newPassword ? (
            <p id="password-rule" class="hint">
              At least {PASSWORD_POLICY.minLength} characters, with upper and lower case letters, a digit and
              a symbol.
            </p>
          ) : null}
          {mode === 'confirm' ? codeField : null}
          {mode === 'reset' ? (
            <p class="hint">Setting a new password signs you out on every other browser and device.</p>
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
            {busy ? 'Please wait…' : SUBMITS[mode]}
          </button>
        </form>
        {mode === 'confirm' || mode === 'reset' ? (
          <p>
            <button
              type="button"
              class="link"
              disabled={busy}
              onClick={() =>
                void (mode === 'reset'
                  ? sendResetCode()
                  : attempt(() => props.cognito.resendCode(email).then(() => setInfo('We sent a new code.'))))
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
        {mode === 'sign-in' ? (
          <p>
            <button type="button" class="link" onClick={() => switchTo('forgot')}>
              Forgot your password?
            </button>
          </p>
        ) : null}
        <p>
          {mode === 'sign-in' ? (
            <button type="button" class="link" onClick={() => switchTo('sign-up')}>
              New here? Create an account
            </button>
          ) : (
            <button type="button" class="link" onClick={() => switchTo('sign-in')}>
              {mode === 'forgot' || mode === 'reset'
                ? 'Remembered it? Sign in'
                : mode === 'code'
                  ? 'Back to sign-in'
                  : 'Have an account? Sign in'}
            </button>
          )}
        </p>
      </div>
    </main>
  );
}
