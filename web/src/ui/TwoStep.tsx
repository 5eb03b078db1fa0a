import { useEffect, useState } from 'preact/hooks';
import type { ChatModel } from '../app/model';
import { linkQr, type QrPath } from '../app/qr';
import { CognitoError, type CognitoTokens } from '../auth/cognito';
import { DoneLine, ErrorLine, FormButtons, useOpenedForm, useStep } from './account-form';

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
export function TwoStepSignIn(props: { model: ChatModel }) {
  const { session } = props.model;
  const [state, setState] = useState<TwoStep>({ kind: 'loading' });
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string>();
  const { busy, error, setError, run } = useStep();
  const form = useOpenedForm(state.kind);

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

  const errorLine = <ErrorLine id="two-step-error" error={error} />;
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
      <DoneLine text={done} />
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
          <FormButtons busy={busy} submit="Turn on" onCancel={() => reset({ kind: 'off' })} />
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
          <FormButtons busy={busy} submit="Turn off" danger onCancel={() => reset({ kind: 'on' })} />
        </form>
      ) : null}
    </div>
  );
}
