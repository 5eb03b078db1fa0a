import { useEffect, useRef, useState } from 'preact/hooks';
import { isMuted } from '../app/chat-list';
import type { ChatModel, ModelState } from '../app/model';
import {
  arrivals,
  type NotificationPreview,
  type NotificationSettings,
  notificationText,
  readNotificationSettings,
  saveNotificationSettings,
} from '../app/notify';
import { useModel } from './hooks';
import { Icon } from './Icon';
import { X } from './icons';

interface Toast {
  readonly conversationId: string;
  readonly title: string;
  readonly body: string;
}

const TOAST_SHOWN_FOR_IN_MS = 6000;

/**
 * Tells the person a message came where they are not looking: a system notification when the tab is out of
 * view (one per conversation, replaced as more come, if they turned notifications on), a quiet note in the
 * page when the tab is in view but another chat is open. Muted chats say nothing; their badge still counts.
 */
export function useArrivals(props: {
  model: ChatModel;
  /** The model's state: a new object at every change (its conversations change in place). */
  state: ModelState;
  openId: string | undefined;
  onOpen: (conversationId: string) => void;
}): { toast: Toast | undefined; dismiss: () => void } {
  const seen = useRef<Map<string, number> | undefined>(undefined);
  const [toast, setToast] = useState<Toast>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const dismiss = () => {
    clearTimeout(timer.current);
    setToast(undefined);
  };

  useEffect(() => {
    const now = props.state.conversations;
    const before = seen.current;
    seen.current = new Map(now.map((c) => [c.conversationId, c.unread]));
    // The first look is what was unread at start: not news.
    if (before === undefined) return;
    const settings = readNotificationSettings();
    for (const id of arrivals(before, now)) {
      const conversation = now.find((c) => c.conversationId === id);
      if (!conversation || isMuted(conversation)) continue;
      const text = notificationText(
        { title: props.model.titleOf(conversation), unread: conversation.unread },
        settings.preview,
      );
      if (document.visibilityState === 'hidden') {
        if (settings.enabled && notificationsAllowed()) showSystemNotification(id, text, props.onOpen);
      } else if (id !== props.openId) {
        clearTimeout(timer.current);
        setToast({ conversationId: id, ...text });
        timer.current = setTimeout(() => setToast(undefined), TOAST_SHOWN_FOR_IN_MS);
      }
    }
  }, [props.state]);

  useEffect(() => () => clearTimeout(timer.current), []);
  // Opening the chat the note is about makes it moot.
  useEffect(() => {
    if (toast && toast.conversationId === props.openId) dismiss();
  }, [props.openId]);
  return { toast, dismiss };
}

function notificationsAllowed(): boolean {
  return typeof Notification !== 'undefined' && Notification.permission === 'granted';
}

function showSystemNotification(
  conversationId: string,
  text: { title: string; body: string },
  onOpen: (conversationId: string) => void,
): void {
  const notification = new Notification(text.title, {
    body: text.body,
    // One per conversation: a newer one replaces it, and says so again.
    tag: conversationId,
    renotify: true,
  } as NotificationOptions);
  notification.onclick = () => {
    window.focus();
    onOpen(conversationId);
    notification.close();
  };
}

/** The quiet note in the page: who wrote, with the way to their chat. */
export function ArrivalToast(props: { toast: Toast; onOpen: () => void; onDismiss: () => void }) {
  return (
    <div class="toast" role="status">
      <button type="button" class="toast-open" onClick={props.onOpen}>
        <strong>{props.toast.title}</strong>
        <span class="muted small">{props.toast.body}</span>
      </button>
      <button type="button" class="icon" aria-label="Dismiss" onClick={props.onDismiss}>
        <Icon icon={X} size={16} />
      </button>
    </div>
  );
}

/** Settings: notifications on or off for this browser, and what they may say. */
export function NotificationSettingsSection(props: { model: ChatModel }) {
  const { model } = props;
  const state = useModel(model);
  const [settings, setSettings] = useState<NotificationSettings>(() => readNotificationSettings());
  const [problem, setProblem] = useState<string>();
  const supported = typeof Notification !== 'undefined';
  const change = (next: NotificationSettings) => {
    setSettings(next);
    saveNotificationSettings(next);
  };
  const turn = async (on: boolean) => {
    setProblem(undefined);
    if (!on) {
      change({ ...settings, enabled: false });
      await model.disablePush().catch(() => undefined);
      return;
    }
    // Asked here, on the person's click, never before.
    const permission =
      Notification.permission === 'default'
        ? await Notification.requestPermission()
        : Notification.permission;
    if (permission !== 'granted') {
      setProblem(
        'Your browser blocks notifications from Parley. Allow them in the site’s settings, then try again.',
      );
      return change({ ...settings, enabled: false });
    }
    change({ ...settings, enabled: true });
    await model.enablePush(settings.preview);
  };
  const choose = (preview: NotificationPreview) => {
    change({ ...settings, preview });
    // The server words pushes by this too: it is told at once.
    if (settings.enabled) void model.enablePush(preview);
  };
  return (
    <section aria-labelledby="notifications-title">
      <h3 id="notifications-title">Notifications</h3>
      {supported ? (
        <>
          <label class="check">
            <input
              type="checkbox"
              checked={settings.enabled}
              onChange={(e) => void turn(e.currentTarget.checked)}
            />
            Notify me of new messages while Parley is in the background or closed
          </label>
          {problem ? (
            <p class="error small" role="alert">
              {problem}
            </p>
          ) : null}
          {settings.enabled && state.push === 'in-tab-only' ? (
            <p class="small" role="status">
              Notifications come only while Parley is open in this browser: it cannot receive them once Parley
              is closed.
            </p>
          ) : null}
          <fieldset disabled={!settings.enabled}>
            <legend>A notification shows</legend>
            <label class="check">
              <input
                type="radio"
                name="notification-preview"
                checked={settings.preview === 'name'}
                onChange={() => choose('name')}
              />
              Who wrote
            </label>
            <label class="check">
              <input
                type="radio"
                name="notification-preview"
                checked={settings.preview === 'none'}
                onChange={() => choose('none')}
              />
              Only that a message came
            </label>
          </fieldset>
          <p class="hint">
            Never the message itself. Muted chats send none. This browser only: each browser asks for its own
            permission. While Parley is closed, notifications travel through your browser’s push service
            (Google’s, Mozilla’s or Apple’s), encrypted: it sees when one comes, not what it says.
          </p>
        </>
      ) : (
        <p class="muted">This browser cannot show notifications.</p>
      )}
    </section>
  );
}
