import { useEffect, useState } from 'preact/hooks';
import type { Device } from '../../../shared/protocol/resources';
import type { ChatModel } from '../app/model';
import {
  COMPARED_KEY,
  readVerification,
  reconcileVerification,
  type VerificationRecord,
} from '../app/verification';
import { BackupSection } from './Backup';
import { useConfirm } from './ConfirmDialog';
import { DeleteAccountSection } from './DeleteAccount';
import { formatTime, useAction, useModel } from './hooks';
import { Icon } from './Icon';
import { ArrowLeft } from './icons';
import { NotificationSettingsSection } from './Notifications';
import { ProfileSection } from './Profile';
import { SecuritySection } from './Security';
import { VerifiedMark, VerifyDialog } from './Verify';
import { YourDataSection } from './YourData';

/**
 * What this browser last compared of a friend: a fingerprint of the friend's devices alone. The number
 * covers my devices too, so keeping it would warn me about every friend when I add a browser of my own.
 */
const SEEN_KEY = COMPARED_KEY;

interface Shown {
  readonly number: string;
  readonly contactDevices: string;
  /** The friend's devices changed since this browser last compared the number. */
  readonly changed: boolean;
}

/**
 * My profile, notifications, password, devices (revoke), each friend's safety number with a warning when
 * their devices changed, and a copy of my data.
 */
export function SettingsPanel(props: {
  model: ChatModel;
  onClose: () => void;
  onSignOutEverywhere: () => void;
  /** The password was changed: every session ends, this one too. */
  onPasswordChanged: () => void;
  /** The account is deleted, and this browser holds nothing of it any more. */
  onAccountDeleted: () => void;
}) {
  const { model } = props;
  const state = useModel(model);
  const { run } = useAction(model);
  const [question, ask] = useConfirm();
  const [devices, setDevices] = useState<Device[]>([]);
  const [numbers, setNumbers] = useState<Record<string, Shown>>({});
  const [verifying, setVerifying] = useState<{ userId: string; name: string }>();
  const [verified, setVerified] = useState<Record<string, VerificationRecord | undefined>>({});
  const me = state.me.userId;
  const friendIds = state.friends
    .filter((f) => f.state === 'friend')
    .map((f) => f.user.userId)
    .sort()
    .join(',');

  const loadDevices = () => run(async () => setDevices(await model.listDevices()));
  // Read again when one of my devices registers or is revoked, wherever that happened.
  useEffect(() => {
    void loadDevices();
  }, [state.devicesVersion]);

  // The number covers both sides' device keys: computed again whenever a device of mine or a friend's
  // comes or goes (a `device` push), so what shows here is what the friend's screen shows.
  useEffect(() => {
    let current = true;
    void run(async () => {
      const ids = friendIds === '' ? [] : friendIds.split(',');
      const computed = await Promise.all(
        ids.map(async (userId) => {
          const { safetyNumber, contactDevices } = await model.e2ee.verificationWith(userId);
          // Only the friend's side warns: my own new browser changes the number, not who they are.
          const seen = localStorage.getItem(SEEN_KEY(userId));
          if (seen === null) localStorage.setItem(SEEN_KEY(userId), contactDevices);
          // A friend marked verified whose devices changed since is no longer verified.
          reconcileVerification(me, userId, contactDevices);
          const shown: Shown = {
            number: safetyNumber,
            contactDevices,
            changed: seen !== null && seen !== contactDevices,
          };
          return [userId, shown] as const;
        }),
      );
      // A later computation (another push meanwhile) wins over this one.
      if (!current) return;
      setNumbers(Object.fromEntries(computed));
      setVerified(Object.fromEntries(computed.map(([userId]) => [userId, readVerification(me, userId)])));
    });
    return () => {
      current = false;
    };
  }, [friendIds, state.devicesVersion, state.keysVersion]);

  const acknowledge = (userId: string) => {
    const shown = numbers[userId];
    if (shown === undefined) return;
    localStorage.setItem(SEEN_KEY(userId), shown.contactDevices);
    setNumbers((n) => ({ ...n, [userId]: { ...shown, changed: false } }));
  };

  return (
    <section class="panel" aria-labelledby="settings-title">
      <header class="panel-header">
        <button type="button" class="back" onClick={props.onClose} aria-label="Back">
          <Icon icon={ArrowLeft} />
        </button>
        <h2 id="settings-title">Settings</h2>
      </header>
      {question}
      <ProfileSection model={model} />
      <NotificationSettingsSection model={model} />
      <SecuritySection model={model} onPasswordChanged={props.onPasswordChanged} />
      <section aria-labelledby="devices-title">
        <h3 id="devices-title">Your devices</h3>
        <p class="muted small">
          Each browser you sign in on is a device with its own keys. Revoke one you no longer use: it is
          removed from every conversation and cannot read what comes next.
        </p>
        <ul class="people">
          {/* A revoked device can do nothing more: it leaves the list (the server keeps it, for old credentials). */}
          {devices
            .filter((device) => !device.revoked)
            .map((device) => (
              <DeviceRow
                key={device.deviceId}
                model={model}
                device={device}
                current={device.deviceId === state.deviceId}
                onChanged={loadDevices}
              />
            ))}
        </ul>
        <p>
          <button
            type="button"
            class="danger"
            onClick={() =>
              ask({
                title: 'Sign out on every browser and app?',
                body: (
                  <>
                    <p>Each will ask for your password again, this one too:</p>
                    <ul class="sign-out-devices">
                      {devices
                        .filter((device) => !device.revoked)
                        .map((device) => (
                          <li key={device.deviceId}>
                            {device.name ?? device.deviceId}
                            {device.deviceId === state.deviceId ? ' (this browser)' : ''}
                            <span class="small muted"> · added {formatTime(device.createdAt)}</span>
                          </li>
                        ))}
                    </ul>
                    <p class="muted small">
                      Their open windows close at once. Their keys and history stay: signing in there again
                      opens the same device.
                    </p>
                  </>
                ),
                confirm: 'Sign out everywhere',
                onConfirm: props.onSignOutEverywhere,
              })
            }
          >
            Sign out everywhere
          </button>
        </p>
      </section>
      <section aria-labelledby="safety-title">
        <h3 id="safety-title">Safety numbers</h3>
        <p class="muted small">
          Compare a friend's number with theirs, in person or over another channel. If they match, nobody is
          listening in between. A number covers both your devices and theirs: it changes when either of you
          adds or removes one. You are warned when a friend's devices change, not when yours do.
        </p>
        <ul class="safety">
          {state.friends
            .filter((f) => f.state === 'friend')
            .map(({ user }) => (
              <li key={user.userId}>
                <strong>{user.displayName}</strong>
                {verified[user.userId]?.state === 'verified' ? <VerifiedMark /> : null}
                {numbers[user.userId]?.changed ? (
                  <p class="warning" role="alert">
                    Your safety number with {user.displayName} changed since you last compared it:{' '}
                    {user.displayName} added or removed a device. Compare it again.{' '}
                    <button type="button" class="link" onClick={() => acknowledge(user.userId)}>
                      I compared it
                    </button>
                  </p>
                ) : null}
                <code class="safety-number">{numbers[user.userId]?.number ?? 'Computing…'}</code>
                <button
                  type="button"
                  class="link"
                  onClick={() => setVerifying({ userId: user.userId, name: user.displayName })}
                  aria-label={`Verify safety number with ${user.displayName}`}
                >
                  Verify…
                </button>
              </li>
            ))}
        </ul>
      </section>
      <BackupSection model={model} state={state} />
      <YourDataSection model={model} />
      <DeleteAccountSection model={model} onDeleted={props.onAccountDeleted} />
      {verifying ? (
        <VerifyDialog
          model={model}
          contactId={verifying.userId}
          name={verifying.name}
          onClose={() => setVerifying(undefined)}
          onChange={(record) => {
            setVerified((v) => ({ ...v, [verifying.userId]: record }));
            // Marking a friend verified is comparing their number: the warning about them goes.
            if (record?.state === 'verified') {
              setNumbers((n) => {
                const shown = n[verifying.userId];
                return shown ? { ...n, [verifying.userId]: { ...shown, changed: false } } : n;
              });
            }
          }}
        />
      ) : null}
    </section>
  );
}

/** One of my devices: its name (renamed in place), when it was added, and *Revoke* for the others. */
function DeviceRow(props: { model: ChatModel; device: Device; current: boolean; onChanged: () => void }) {
  const { model, device } = props;
  const { busy, run } = useAction(model);
  const [question, ask] = useConfirm();
  const [editing, setEditing] = useState(false);
  const label = device.name ?? device.deviceId;
  const [name, setName] = useState(label);
  if (editing) {
    return (
      <li class="person">
        <form
          class="inline device-rename"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await model.renameDevice(device.deviceId, name);
              setEditing(false);
              props.onChanged();
            });
          }}
        >
          <label>
            Device name
            <input
              value={name}
              maxLength={64}
              required
              // biome-ignore lint/a11y/noAutofocus: the person just asked to rename this device
              autoFocus
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <button type="submit" class="primary" disabled={busy || !name.trim()}>
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      </li>
    );
  }
  return (
    <li class="person">
      <span class="person-name">
        {label}
        {props.current ? <span class="small muted"> (this browser)</span> : null}
        <span class="small muted"> · added {formatTime(device.createdAt)}</span>
      </span>
      <span class="person-actions">
        <button
          type="button"
          onClick={() => {
            setName(label);
            setEditing(true);
          }}
          aria-label={`Rename ${label}`}
        >
          Rename
        </button>
        {props.current ? null : (
          <button
            type="button"
            class="danger"
            onClick={() =>
              ask({
                title: `Revoke ${label}?`,
                body: (
                  <p>
                    It is signed out and removed from every conversation: it cannot read what is sent from now
                    on. Signing in there again makes a new device.
                  </p>
                ),
                confirm: 'Revoke',
                onConfirm: () =>
                  void run(async () => {
                    await model.revokeDevice(device.deviceId);
                    props.onChanged();
                  }),
              })
            }
          >
            Revoke
          </button>
        )}
      </span>
      {question}
    </li>
  );
}
