import { useEffect, useState } from 'preact/hooks';
import type { Device } from '../../../shared/protocol/resources';
import type { ChatModel } from '../app/model';
import { formatTime, useAction, useModel } from './hooks';

/** The safety number with a friend as last compared. */
const SEEN_KEY = (userId: string) => `parley.compared-safety-number.${userId}`;

/** My devices (revoke), and each friend's safety number with a warning when their devices changed. */
export function SettingsPanel(props: {
  model: ChatModel;
  onClose: () => void;
  onSignOutEverywhere: () => void;
}) {
  const { model } = props;
  const state = useModel(model);
  const { run } = useAction(model);
  const [devices, setDevices] = useState<Device[]>([]);
  const [numbers, setNumbers] = useState<Record<string, { number: string; changed: boolean }>>({});
  const me = state.me.userId;

  const loadDevices = () =>
    run(async () => setDevices((await model.api.listDevices({ params: { userId: me } })).items));
  // Read again when one of my devices registers or is revoked, wherever that happened.
  useEffect(() => {
    void loadDevices();
  }, [state.devicesVersion]);

  useEffect(() => {
    void run(async () => {
      const result: Record<string, { number: string; changed: boolean }> = {};
      for (const { user } of state.friends.filter((f) => f.state === 'friend')) {
        // The number is computed from both sides' device keys: it changes exactly when a device comes or goes.
        const number = await model.e2ee.safetyNumberWith(user.userId);
        const seen = localStorage.getItem(SEEN_KEY(user.userId));
        if (seen === null) localStorage.setItem(SEEN_KEY(user.userId), number);
        result[user.userId] = { number, changed: seen !== null && seen !== number };
      }
      setNumbers(result);
    });
  }, []);

  const acknowledge = (userId: string) => {
    const number = numbers[userId]?.number;
    if (number === undefined) return;
    localStorage.setItem(SEEN_KEY(userId), number);
    setNumbers((n) => ({ ...n, [userId]: { number, changed: false } }));
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
        <p>
          <button
            type="button"
            class="danger"
            onClick={() =>
              confirm('Sign out on every browser and app? Each will ask for your password again.') &&
              props.onSignOutEverywhere()
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
                    Your safety number with {user.displayName} changed since you last compared it: a device
                    was added or removed. Compare it again.{' '}
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
