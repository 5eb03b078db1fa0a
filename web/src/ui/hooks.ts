import { useEffect, useState } from 'preact/hooks';
import { type ChatModel, describeError, type ModelState } from '../app/model';

/** The model's state, re-rendering on every change. */
export function useModel(model: ChatModel): ModelState {
  const [state, setState] = useState(model.state);
  useEffect(() => model.subscribe(() => setState(model.state)), [model]);
  return state;
}

/** Runs an action, turning a failure into the model's notice. */
export function useAction(model: ChatModel) {
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await action();
      return true;
    } catch (error) {
      model.notify(describeError(error));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, run };
}

export function formatTime(iso: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  const today = new Date();
  return date.toDateString() === today.toDateString()
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString([], { day: 'numeric', month: 'short' });
}
