import { useEffect, useState } from 'preact/hooks';
import type { Device } from '../../../shared/protocol/resources';
import type { ChatModel } from '../app/model';
import { formatTime, useAction, useModel } from './hooks';

const SEEN_KEY = (userId: string) => `parley.seen-devices.${userId}`;

/** My devices (revoke), and each friend's safety number with a warning when their devices changed. */
export function SettingsPanel(props: { model: ChatModel; onClose: () => void }) {
  const { model } = props;
  const state = useModel(model);
  const { run } = useAction(model);
  const [devices, setDevices] = useState<Device[]>([]);
  const [numbers, setNumbers] = useState<Record<string, { number: string; changed: boolean }>>({});
  const me = state.me.userId;

  const loadDevices = () =>
    run(async () => setDevices((await model.api.listDevices({ params: { userId: me } })).items));
  useEffect(() => {
    void loadDevices();
    void run(async () => {
      const result: Record<string, { number: string; changed: boolean }> = {};
      for (const { user } of state.friends.filter((f) => f.state === 'friend')) {
        const theirs = (await model.api.listDevices({ params: { userId: user.userId } })).items
          .filter((d) => !d.revoked)
          .map((d) => d.signaturePublicKey)
          .sort();
        const seen = localStorage.getItem(SEEN_KEY(user.userId));
        const now = JSON.stringify(theirs);
        if (seen === null) localStorage.setItem(SEEN_KEY(user.userId), now);
        result[user.userId] = {
          number: await model.e2ee.safetyNumberWith(user.userId),
          changed: seen !== null && seen !== now,
        };
      }
      setNumbers(result);
    });
  }, []);

  const acknowledge = (userId: string) => {
    void run(async () => {
      const theirs = (await model.api.listDevices({ params: { userId } })).items
        .filter((d) => !d.revoked)
        .map((d) => d.signaturePublicKey)
        .sort();
      localStorage.setItem(SEEN_KEY(userId), JSON.stringify(theirs));
      setNumbers((n) => ({ ...n, [userId]: { number: n[userId]?.number ?? '', changed: false } }));
    });
  };

  return (
    <section class="panel" aria-labelledby="settings-title">
      <header class="panel-header">
        <button type="button" class="back" onClick={props.onClose} aria-label="Back">
          ←
        </button>
        <h2 id="settings-title">Settings</h2>
      </header>
      <section aria-labelledby="devices-title">
        <h3 id="devices-title">Your devices</h3>
        <p class="muted small">
          Each browser you sign in on is a device with its own keys. Revoke one you no longer use: it is
          removed from every conversation and cannot read what comes next.
        </p>
        <ul class="people">
          {devices.map((device) => (
            <li class="person" key={device.deviceId}>
              <span class="person-name">
                {device.name ?? device.deviceId}
                {device.deviceId === state.deviceId ? <span class="small muted"> (this browser)</span> : null}
                <span class="small muted"> · added {formatTime(device.createdAt)}</span>
                {device.revoked ? <span class="small muted"> · revoked</span> : null}
              </span>
              {!device.revoked && device.deviceId !== state.deviceId ? (
                <button
                  type="button"
                  class="danger"
                  onClick={() =>
                    confirm(`Revoke ${device.name ?? device.deviceId}?`) &&
                    void run(async () => {
                      await model.e2ee.revokeDevice(device.deviceId);
                      await loadDevices();
                    })
                  }
                >
                  Revoke
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="safety-title">
        <h3 id="safety-title">Safety numbers</h3>
        <p class="muted small">
          Compare a friend's number with theirs, in person or over another channel. If they match, nobody is
          listening in between.
        </p>
        <ul class="safety">
          {state.friends
            .filter((f) => f.state === 'friend')
            .map(({ user }) => (
              <li key={user.userId}>
                <strong>{user.displayName}</strong>
                {numbers[user.userId]?.changed ? (
                  <p class="warning" role="alert">
                    {user.displayName}'s devices changed since you last looked. Compare the number again.{' '}
                    <button type="button" class="link" onClick={() => acknowledge(user.userId)}>
                      I compared it
                    </button>
                  </p>
                ) : null}
                <code class="safety-number">{numbers[user.userId]?.number ?? 'Computing…'}</code>
              </li>
            ))}
        </ul>
      </section>
    </section>
  );
}
