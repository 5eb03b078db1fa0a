import { useState } from 'preact/hooks';
import { type ChatModel, describeError } from '../app/model';

/** How long the file's object URL is kept after the click: the browser has begun saving it well before. */
const OBJECT_URL_KEPT_FOR_IN_MS = 60_000;

/**
 * *Download my data*: one JSON file with what the server holds about the person and the messages this
 * browser holds, decrypted here. Said plainly next to the button, since the file is not encrypted and the
 * history part is only this browser's.
 */
export function YourDataSection(props: { model: ChatModel }) {
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<string>();
  const [error, setError] = useState<string>();

  const download = async () => {
    setBusy(true);
    setError(undefined);
    setProgress('Preparing…');
    try {
      const { fileName, blob } = await props.model.exportMyData((done, total) =>
        setProgress(`Preparing… ${done} of ${total} conversations read`),
      );
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = fileName;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_KEPT_FOR_IN_MS);
      setProgress(`Saved as ${fileName}.`);
    } catch (caught) {
      setProgress(undefined);
      setError(`Your data could not be prepared. ${describeError(caught)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="your-data-title">
      <h3 id="your-data-title">Your data</h3>
      <p class="muted small">
        One file (JSON) with your profile, your friends and requests, the people you blocked, your devices,
        and the conversations you are in with their members, as Parley’s server holds them. It adds the
        messages this browser holds, decrypted here: the server cannot read messages, and your other devices
        may hold messages this browser does not.
      </p>
      <p class="muted small">The file is not encrypted. Keep it somewhere safe.</p>
      <p>
        <button type="button" onClick={() => void download()} disabled={busy}>
          {busy ? 'Preparing…' : 'Download my data'}
        </button>
      </p>
      <p class="small" role="status">
        {progress}
      </p>
      {error ? (
        <p class="error small" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
