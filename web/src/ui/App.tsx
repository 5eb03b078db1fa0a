import { useEffect, useState } from 'preact/hooks';
import { loadWebConfig, type WebConfig } from '../../../shared/client/web-config';
import { DeviceRevokedError } from '../../../shared/e2ee/errors';
import type { ChatModel } from '../app/model';
import { Session } from '../app/session';
import { CognitoClient, CognitoError } from '../auth/cognito';
import { AuthScreen } from './AuthScreen';

const SESSION_ENDED_NOTICE = 'You were signed out everywhere. Sign in again to continue.';
const PASSWORD_CHANGED_NOTICE =
  'Your password is changed, and every browser was signed out. Sign in with your new password.';
const DELETED_NOTICE =
  'Your account is deleted, and this browser no longer holds anything of it. Thank you for using Parley.';
const FORGOTTEN_NOTICE =
  'You signed out, and this browser no longer holds your messages or keys. Signing in here makes it a new device.';
const REVOKED_NOTICE =
  'This browser was removed from your devices on another device, and has forgotten its keys. Sign in to use it again as a new device.';

/** The chat's code: the E2EE client with MLS, the protocol's schemas, the model and its screens. */
interface ChatCode {
  readonly ChatModel: typeof ChatModel;
  readonly ChatApp: typeof import('./ChatApp').ChatApp;
  readonly startFailure: typeof import('../app/start-failure').startFailure;
}

/**
 * Waits between attempts at a start that failed for a passing reason (the network, a busy server): it
 * doubles from the first, up to the last, and goes on until the start succeeds or fails for good.
 */
const START_RETRY_FIRST_IN_MS = 1000;
const START_RETRY_LONGEST_IN_MS = 15_000;

let chatCode: Promise<ChatCode> | undefined;

/**
 * Most of the app's bytes, in a chunk of their own, so the splash and the sign-in form do not wait for
 * them. Asked for once the configuration is in, while the session is refreshed: a returning user gets it
 * with no extra round trip, and a new visitor's sign-in form is on screen before it arrives.
 */
function loadChatCode(): Promise<ChatCode> {
  if (chatCode) return chatCode;
  const loading = import('../chat').then((chat) => {
    performance.mark('parley:chat-code');
    return { ChatModel: chat.ChatModel, ChatApp: chat.ChatApp, startFailure: chat.startFailure };
  });
  chatCode = loading;
  // A failed download is reported by `start`, when the chat is needed; a visitor who never signs in is not
  // told. It is asked for again next time: the network may be back.
  loading.catch(() => {
    if (chatCode === loading) chatCode = undefined;
  });
  return loading;
}

const nextWait = (wait: number) => Math.min(wait * 2, START_RETRY_LONGEST_IN_MS);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The kept session, refreshed; tried again while the sign-in service cannot be reached (offline). */
async function resumeSession(cognito: CognitoClient, onStep: (step: string) => void) {
  for (let wait = START_RETRY_FIRST_IN_MS; ; wait = nextWait(wait)) {
    try {
      return await Session.resume(cognito);
    } catch (error) {
      if (!(error instanceof CognitoError && error.exception === 'NetworkError')) throw error;
      onStep(`Parley cannot reach the sign-in service right now. Trying again in ${wait / 1000} s…`);
      await sleep(wait);
    }
  }
}

type Phase =
  | { kind: 'loading'; step: string }
  | { kind: 'signed-out'; notice?: string; email?: string }
  | { kind: 'ready'; model: ChatModel; chat: ChatCode }
  | { kind: 'failed'; message: string };

/** Loads the stage's configuration, resumes a session, and shows sign-in or the chat. */
export function App() {
  const [config, setConfig] = useState<WebConfig>();
  const [phase, setPhase] = useState<Phase>({ kind: 'loading', step: 'Loading…' });
  const cognito = config ? new CognitoClient(config.cognitoEndpoint, config.userPoolClientId) : undefined;

  /**
   * Opens the chat. A failure that may pass by itself (the network, a server busy or briefly failing, the
   * chat's code not downloaded) is tried again after a wait, saying so on the splash, for as long as it
   * lasts; any other says what is wrong. Each attempt is whole: every step of a start may be repeated.
   */
  const start = async (session: Session, loaded: WebConfig) => {
    for (let wait = START_RETRY_FIRST_IN_MS; ; wait = nextWait(wait)) {
      let chat: ChatCode | undefined;
      try {
        chat = await loadChatCode();
        const model = await chat.ChatModel.start(loaded, session, (step) =>
          setPhase({ kind: 'loading', step }),
        );
        performance.mark('parley:model-ready');
        setPhase({ kind: 'ready', model, chat });
        return;
      } catch (error) {
        if (error instanceof DeviceRevokedError) {
          setPhase({ kind: 'signed-out', notice: REVOKED_NOTICE });
          return;
        }
        console.error('Starting the chat failed', error);
        // Without the chat's code, the failure is its download's: the network's.
        const failure = chat ? chat.startFailure(error) : { kind: 'retry' as const, afterMs: 0 };
        if (failure.kind === 'stop') {
          setPhase({ kind: 'failed', message: failure.message });
          return;
        }
        const pause = Math.max(wait, failure.afterMs);
        setPhase({
          kind: 'loading',
          step: `Parley cannot reach its server right now. Trying again in ${Math.ceil(pause / 1000)} s…`,
        });
        await sleep(pause);
      }
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
        const session = await resumeSession(
          new CognitoClient(loaded.cognitoEndpoint, loaded.userPoolClientId),
          (step) => setPhase({ kind: 'loading', step }),
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
        email={phase.kind === 'signed-out' ? phase.email : undefined}
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
        const leaving = options?.deleted
          ? Promise.resolve()
          : options?.forget
            ? model.signOutAndForget()
            : model.signOut(options);
        void leaving.then(() => {
          location.hash = '';
          setPhase(
            options?.deleted
              ? { kind: 'signed-out', notice: DELETED_NOTICE }
              : model.state.revoked
                ? { kind: 'signed-out', notice: REVOKED_NOTICE }
                : model.state.sessionEnded
                  ? { kind: 'signed-out', notice: SESSION_ENDED_NOTICE }
                  : options?.forget
                    ? { kind: 'signed-out', notice: FORGOTTEN_NOTICE }
                    : options?.passwordChanged
                      ? { kind: 'signed-out', notice: PASSWORD_CHANGED_NOTICE, email: model.session.email }
                      : { kind: 'signed-out' },
          );
        });
      }}
    />
  );
}
