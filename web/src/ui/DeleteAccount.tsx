import { useState } from 'preact/hooks';
import { ApiError } from '../../../shared/client/api-client';
import type { ChatModel } from '../app/model';
import { CognitoError, type CognitoTokens, type MfaChallenge } from '../auth/cognito';
import { ErrorLine, FormButtons, useOpenedForm, useStep } from './account-form';

/** Where the form is: closed, asking for the password, or for the authenticator's code after it. */
type Step = 'closed' | 'password' | 'code';

/**
 * Deletes the account, after the person proves it is them with a fresh sign-in (the password, and the
 * authenticator's code when two-step sign-in is on): the server only takes a deletion from a sign-in in the
 * last few minutes. Says first what goes and what stays, and points to *Download my data*.
 */
export function DeleteAccountSection(props: { model: ChatModel; onDeleted: () => void }) {
  const { session } = props.model;
  const [step, setStep] = useState<Step>('closed');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [challenge, setChallenge] = useState<MfaChallenge>();
  const { busy, error, setError, run } = useStep((caught) =>
    caught instanceof CognitoError || caught instanceof ApiError
      ? caught.message
      : 'Your account could not be deleted. Check your connection and try again.',
  );
  const form = useOpenedForm(step);

  const close = () => {
    setStep('closed');
    setPassword('');
    setCode('');
    setChallenge(undefined);
    setError(undefined);
  };

  /** The fresh sign-in's tokens, or `undefined` when the code step comes next. */
  const signInAgain = async (): Promise<CognitoTokens | undefined> => {
    const { cognito } = session;
    try {
      if (step === 'code' && challenge) return await cognito.answerMfa(challenge, code.trim());
      const first = await cognito.signIn(session.email, password);
      if ('session' in first) {
        setChallenge(first);
        setStep('code');
        return undefined;
      }
      return first;
    } catch (caught) {
      // The sign-in's minutes or wrong codes ran out: start again from the password.
      if (
        step === 'code' &&
        caught instanceof CognitoError &&
        caught.exception === 'NotAuthorizedException'
      ) {
        setStep('password');
        setChallenge(undefined);
        throw new CognitoError(caught.exception, 'That took too long. Enter your password again.');
      }
      if (caught instanceof CognitoError && caught.exception === 'NotAuthorizedException')
        throw new CognitoError(caught.exception, 'Your password is not right.');
      throw caught;
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const tokens = await signInAgain();
      if (!tokens) return;
      await props.model.deleteAccount(tokens.accessToken);
      props.onDeleted();
    });
  };

  return (
    <section aria-labelledby="delete-account-title">
      <h3 id="delete-account-title">Delete your account</h3>
      <p class="muted small">
        You leave every conversation and your friends lose you as a friend. Your profile, picture, devices,
        keys and notifications are deleted, on the server and in this browser. Messages you sent stay with the
        people who got them, from a deleted account. Your username stays reserved for 30 days. This cannot be
        undone: download your data first if you want to keep it.
      </p>
      {step === 'closed' ? (
        <p>
          <button type="button" class="danger" onClick={() => setStep('password')}>
            Delete account…
          </button>
        </p>
      ) : (
        <form
          ref={form}
          class="account-form"
          onSubmit={submit}
          aria-describedby={error ? 'delete-account-error' : undefined}
        >
          {step === 'password' ? (
            <label>
              Your password, to confirm it is you
              <input
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </label>
          ) : (
            <label>
              Code from your authenticator app
              <input
                name="delete-code"
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                value={code}
                onInput={(e) => setCode(e.currentTarget.value.replace(/\s/g, ''))}
              />
            </label>
          )}
          <ErrorLine id="delete-account-error" error={error} />
          <FormButtons busy={busy} submit="Delete my account" busyLabel="Deleting…" danger onCancel={close} />
        </form>
      )}
    </section>
  );
}
