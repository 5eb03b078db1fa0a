import { useRef, useState } from 'preact/hooks';
import { type ChatModel, describeError } from '../app/model';
import { Avatar } from './Avatar';
import { useAction, useModel } from './hooks';

const USERNAME = /^[a-z0-9_.]{3,32}$/;

/**
 * My name as others see it: the display name and the @username, each changed in place. Friends and
 * co-members see the change at once (a `profile` push); a username someone has is refused in words.
 */
export function ProfileSection(props: { model: ChatModel }) {
  const { model } = props;
  const state = useModel(model);
  const { busy, run } = useAction(model);
  const [displayName, setDisplayName] = useState(state.me.displayName);
  const [username, setUsername] = useState(state.me.username);
  const [saved, setSaved] = useState(false);
  const name = displayName.trim();
  const handle = username.trim().toLowerCase();
  const changed = name !== state.me.displayName || handle !== state.me.username;
  const handleOk = USERNAME.test(handle);

  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const ok = await run(() =>
      model.updateProfile({
        ...(name !== state.me.displayName ? { displayName: name } : {}),
        ...(handle !== state.me.username ? { username: handle } : {}),
      }),
    );
    setSaved(ok);
  };

  return (
    <section aria-labelledby="profile-title">
      <h3 id="profile-title">Your profile</h3>
      <form class="profile" onSubmit={save}>
        <ProfilePicture model={model} name={name || state.me.displayName} />
        <div class="profile-fields">
          <label>
            Display name
            <input
              value={displayName}
              maxLength={64}
              required
              autocomplete="nickname"
              onInput={(e) => {
                setDisplayName(e.currentTarget.value);
                setSaved(false);
              }}
            />
          </label>
          <label>
            Username
            <span class="input-prefix">
              <span aria-hidden="true">@</span>
              <input
                value={username}
                required
                autocapitalize="none"
                spellcheck={false}
                aria-describedby="username-rule"
                aria-invalid={!handleOk}
                onInput={(e) => {
                  setUsername(e.currentTarget.value);
                  setSaved(false);
                }}
              />
            </span>
          </label>
          <p id="username-rule" class={`small ${handleOk ? 'muted' : 'error'}`}>
            3 to 32 characters: a–z, 0–9, _ and . People can find you by it.
          </p>
          <p class="profile-actions">
            <button type="submit" class="primary" disabled={busy || !changed || !name || !handleOk}>
              Save
            </button>
            {saved && !changed ? (
              <span class="small muted" role="status">
                Saved. Your friends see it now.
              </span>
            ) : null}
          </p>
        </div>
      </form>
    </section>
  );
}

/**
 * My picture: added, changed or removed in place. The browser scales it to a small square and encrypts it
 * before it leaves; a file that is not a picture, or is too large, is refused here in words.
 */
function ProfilePicture(props: { model: ChatModel; name: string }) {
  const { model } = props;
  const state = useModel(model);
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<'saving' | 'removing' | undefined>();
  const [status, setStatus] = useState<{ text: string; error?: boolean } | undefined>();
  const hasPicture = state.me.avatarId !== undefined;

  const act = async (kind: 'saving' | 'removing', action: () => Promise<void>, done: string) => {
    setBusy(kind);
    setStatus(undefined);
    try {
      await action();
      setStatus({ text: done });
    } catch (error) {
      setStatus({ text: describeError(error), error: true });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <div class="profile-picture">
      <Avatar name={props.name} id={state.me.userId} size="large" />
      <input
        ref={input}
        id="profile-picture-input"
        class="sr-only"
        type="file"
        accept="image/*"
        tabIndex={-1}
        aria-label="Profile picture"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          if (file) void act('saving', () => model.setPicture(file), 'Picture saved.');
        }}
      />
      <button type="button" disabled={busy !== undefined} onClick={() => input.current?.click()}>
        {busy === 'saving' ? 'Saving…' : hasPicture ? 'Change picture' : 'Add a picture'}
      </button>
      {hasPicture ? (
        <button
          type="button"
          disabled={busy !== undefined}
          onClick={() => void act('removing', () => model.removePicture(), 'Picture removed.')}
        >
          {busy === 'removing' ? 'Removing…' : 'Remove picture'}
        </button>
      ) : null}
      <p class={`small ${status?.error ? 'error' : 'muted'}`} role={status?.error ? 'alert' : 'status'}>
        {status?.text ?? ''}
      </p>
    </div>
  );
}
