import { useEffect, useState } from 'preact/hooks';
import { loadWebConfig, type WebConfig } from '../../../shared/client/web-config';
import { DeviceRevokedError } from '../../../shared/e2ee/errors';
import type { ChatModel } from '../app/model';
import { Session } from '../app/session';
import { CognitoClient, CognitoError } from '../auth/cognito';
import { AuthScreen } from './AuthScreen';

const SESSION_ENDED_NOTICE = 'You were signed out everywhere. Sign in again to continue.';
const FORGOTTEN_NOTICE =
  'You signed out, and this browser no longer holds your messages or keys. Signing in here makes it a new device.';
const REVOKED_NOTICE =
  'This browser was removed from your devices on another device, and has forgotten its keys. Sign in to use it again as a new device.';

/** The chat's code: the E2EE client with MLS, the protocol's schemas, the model and its screens. */
interface ChatCode {
  readonly ChatModel: typeof ChatModel;
  readonly ChatApp: typeof import('./ChatApp').ChatApp;
}

let chatCode: Promise<ChatCode> | undefined;

/**
 * Most of the app's bytes, in a chunk of their own, so the splash and the sign-in form do not wait for
 * them. Asked for once the configuration is in, while the session is refreshed: a returning user gets it
 * with no extra round trip, and a new visitor's sign-in form is on screen before it arrives.
 */
function loadChatCode(): Promise<ChatCode> {
  chatCode ??= import('../chat').then((chat) => {
    performance.mark('parley:chat-code');
    return { ChatModel: chat.ChatModel, ChatApp: chat.ChatApp };
  });
  // A failed download is reported by `start`, when the chat is needed; a visitor who never signs in is not told.
  chatCode.catch(() => undefined);
  return chatCode;
}

type Phase =
  | { kind: 'loading'; step: string }
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'ready'; model: ChatModel; chat: ChatCode }
  | { kind: 'failed'; message: string };

/** Loads the stage's configuration, resumes a session, and shows sign-in or the chat. */
export function App() {
  const [config, setConfig] = useState<WebConfig>();
  const [phase, setPhase] = useState<Phase>({ kind: 'loading', step: 'Loading…' });
  const cognito = config ? new CognitoClient(config.cognitoEndpoint, config.userPoolClientId) : undefined;

  const start = async (session: Session, loaded: WebConfig) => {
    try {
      const chat = await loadChatCode();
      const model = await chat.ChatModel.start(loaded, session, (step) =>
        setPhase({ kind: 'loading', step }),
      );
      performance.mark('parley:model-ready');
      setPhase({ kind: 'ready', model, chat });
    } catch (error) {
      if (error instanceof DeviceRevokedError) {
        setPhase({ kind: 'signed-out', notice: REVOKED_NOTICE });
        return;
      }
      console.error(error);
      setPhase({
        kind: 'failed',
        message: 'Parley could not start on this browser. Check your connection and reload.',
      });
    }
  };

  useEffect(() => {
    void (async () => {
      let loaded: WebConfig;
      try {
        loaded = await loadWebConfig();
      } catch {
        setPhase({
          kind: 'failed',
          message: 'Parley could not load its settings. Check your connection and reload.',
        });
        return;
      }
      performance.mark('parley:config');
      setConfig(loaded);
      void loadChatCode();
      try {
        const session = await Session.resume(
          new CognitoClient(loaded.cognitoEndpoint, loaded.userPoolClientId),
        );
        performance.mark('parley:session');
        if (session) await start(session, loaded);
        else setPhase({ kind: 'signed-out' });
      } catch (error) {
        setPhase({
          kind: 'failed',
          message:
            error instanceof CognitoError ? error.message : 'Parley could not start. Reload to try again.',
        });
      }
    })();
  }, []);

  if (phase.kind === 'loading') {
    return (
      <main class="splash" aria-busy="true">
        <p class="brand">Parley</p>
        <p role="status">{phase.step}</p>
      </main>
    );
  }
  if (phase.kind === 'failed') {
    return (
      <main class="splash">
        <p class="brand">Parley</p>
        <p role="alert">{phase.message}</p>
        <button type="button" class="primary" onClick={() => location.reload()}>
          Reload
        </button>
      </main>
    );
  }
  if (phase.kind === 'signed-out' || !config || !cognito) {
    return config && cognito ? (
      <AuthScreen
        cognito={cognito}
        config={config}
        notice={phase.kind === 'signed-out' ? phase.notice : undefined}
        onSession={(session) => void start(session, config)}
      />
    ) : null;
  }
  const { ChatApp } = phase.chat;
  return (
    <ChatApp
      model={phase.model}
      onSignOut={(options) => {
        const { model } = phase;
        void (options?.forget ? model.signOutAndForget() : model.signOut(options)).then(() => {
          location.hash = '';
          setPhase(
            model.state.revoked
              ? { kind: 'signed-out', notice: REVOKED_NOTICE }
              : model.state.sessionEnded
                ? { kind: 'signed-out', notice: SESSION_ENDED_NOTICE }
                : options?.forget
                  ? { kind: 'signed-out', notice: FORGOTTEN_NOTICE }
                  : { kind: 'signed-out' },
          );
        });
      }}
    />
  );
}
