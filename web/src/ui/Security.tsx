import { useState } from 'preact/hooks';
import { PASSWORD_POLICY } from '../../../shared/protocol/limits';
import { passwordProblems } from '../../../shared/protocol/password';
import type { ChatModel } from '../app/model';
import { ErrorLine, FormButtons, useOpenedForm, useStep } from './account-form';
import { ChangeEmail } from './ChangeEmail';
import { TwoStepSignIn } from './TwoStep';

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
  const form = useOpenedForm(open);

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
      <ErrorLine id="password-error" error={error} />
      <FormButtons busy={busy} submit="Change password" onCancel={() => setOpen(false)} />
    </form>
  );
}
