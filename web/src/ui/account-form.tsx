import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { CognitoError } from '../auth/cognito';

/** What a refused step says next to its fields; anything else is said in plain words too. */
function wordsOf(error: unknown): string {
  return error instanceof CognitoError ? error.message : 'Something went wrong. Try again.';
}

/** Runs one step of a settings form: busy while it runs, its refusal kept in words for the form to show. */
export function useStep(words: (error: unknown) => string = wordsOf) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await step();
    } catch (caught) {
      setError(words(caught));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/**
 * A form that opens in place in Settings, below the fold as often as not: brought into view with its first
 * field focused each time `step` changes (it opens, or moves on to its next step).
 */
export function useOpenedForm(step: unknown) {
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    form.current?.scrollIntoView({ block: 'nearest' });
    form.current?.querySelector('input')?.focus({ preventScroll: true });
  }, [step]);
  return form;
}

/** A form's refusal, in words, where its fields are (`id` for the form's `aria-describedby`). */
export function ErrorLine(props: { id: string; error: string | undefined }) {
  return props.error ? (
    <p id={props.id} class="error" role="alert">
      {props.error}
    </p>
  ) : null;
}

/** What a step did, said once it is done (`text` unset: nothing). */
export function DoneLine(props: { text: string | undefined }) {
  return props.text ? (
    <p class="info" role="status">
      {props.text}
    </p>
  ) : null;
}

/** A form's buttons: what it does (busy while it runs), any others, and *Cancel*. */
export function FormButtons(props: {
  busy: boolean;
  submit: string;
  /** What cannot be undone is red. */
  danger?: boolean;
  busyLabel?: string;
  onCancel: () => void;
  children?: ComponentChildren;
}) {
  return (
    <p class="profile-actions">
      <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={props.busy}>
        {props.busy ? (props.busyLabel ?? 'Please wait…') : props.submit}
      </button>
      {props.children}
      <button type="button" disabled={props.busy} onClick={props.onCancel}>
        Cancel
      </button>
    </p>
  );
}
