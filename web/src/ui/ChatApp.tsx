import { useEffect, useState } from 'preact/hooks';
import { chatListOf } from '../app/chat-list';
import type { ChatModel } from '../app/model';
import { onWorkerMessage } from '../app/service-worker';
import { showInTab, unreadTotal } from '../app/tab-signals';
import { Avatar, PicturesContext } from './Avatar';
import { ChatList } from './ChatList';
import { ChatView } from './ChatView';
import { ApproveTransferDialog, HistorySourcesCard, HistoryTransferCard } from './HistoryTransfer';
import { useModel } from './hooks';
import { Icon } from './Icon';
import { LockKeyhole, LogOut, Search, Settings, SquarePen, UserPlus, X } from './icons';
import { ArrivalToast, useArrivals } from './Notifications';
import { NewGroupDialog, PeoplePanel } from './People';
import type { RevealTarget } from './reveal';
import { SearchDialog, useSearchShortcut } from './Search';
import { SettingsPanel } from './Settings';
import { ShortcutsDialog, useShortcuts } from './Shortcuts';
import { SignOutDialog } from './SignOut';

type Panel = 'chat' | 'people' | 'settings' | 'new-group';

/** The signed-in app: the conversation list beside the open conversation (one at a time on a phone). */
export function ChatApp(props: {
  model: ChatModel;
  onSignOut: (options?: {
    everywhere?: boolean;
    forget?: boolean;
    passwordChanged?: boolean;
    /** The account was deleted and this browser forgot it: nothing is left to sign out. */
    deleted?: boolean;
  }) => void;
}) {
  const { model } = props;
  const state = useModel(model);
  const [openId, setOpenId] = useState<string | undefined>(() => location.hash.slice(1) || undefined);
  const [panel, setPanel] = useState<Panel>('chat');
  const [signingOut, setSigningOut] = useState(false);
  const open = state.conversations.find((c) => c.conversationId === openId);

  // Revoked from another device, or signed out everywhere: nothing more can be done here, so sign out.
  useEffect(() => {
    if (state.revoked || state.sessionEnded) props.onSignOut();
  }, [state.revoked, state.sessionEnded]);

  useEffect(() => {
    const onHash = () => setOpenId(location.hash.slice(1) || undefined);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // The tab says how many messages wait, in its title and on its icon, as WhatsApp Web's does.
  const waiting = unreadTotal(state.conversations);
  useEffect(() => showInTab(waiting), [waiting]);
  useEffect(() => () => showInTab(0), []);

  // Opening a chat marked unread clears the marker, on every device.
  useEffect(() => {
    if (open?.markedUnread && panel === 'chat')
      void model.changeSettings(open.conversationId, { markedUnread: false });
  }, [open?.conversationId, open?.markedUnread, panel]);

  const select = (conversationId: string | undefined) => {
    setPanel('chat');
    location.hash = conversationId ?? '';
    setOpenId(conversationId);
  };

  // The service worker: a notification clicked while this tab was open (it brought the tab forward), or
  // a push subscription the browser renewed.
  useEffect(
    () =>
      onWorkerMessage((message) => {
        if (message.type === 'parley:open-conversation') select(message.conversationId);
        else void model.syncPush();
      }),
    [model],
  );

  const [help, setHelp] = useState(false);
  // In the list's order: pinned first, archived left out.
  const listed = chatListOf(state.conversations, { view: 'main', matches: () => true }).rows;
  useShortcuts({ conversations: listed, openId, onSelect: select, onHelp: () => setHelp(true) });
  const [searching, setSearching] = useState(false);
  const [reveal, setReveal] = useState<RevealTarget & { conversationId: string }>();
  useSearchShortcut(() => setSearching(true));

  const arrival = useArrivals({ model, state, openId, onOpen: select });
  const incoming = state.friends.filter((f) => f.state === 'incoming').length;
  return (
    <PicturesContext.Provider value={state.pictures}>
      <div class={`shell ${openId || panel !== 'chat' ? 'has-main' : ''}`}>
        <button type="button" class="skip-link" onClick={skipToMain}>
          {open && panel === 'chat' ? 'Skip to the message box' : 'Skip to the main content'}
        </button>
        {help ? <ShortcutsDialog onClose={() => setHelp(false)} /> : null}
        {state.historyTransfer?.role === 'send' && state.historyTransfer.stage === 'confirm' ? (
          <ApproveTransferDialog model={model} transfer={state.historyTransfer} />
        ) : null}
        {searching ? (
          <SearchDialog
            model={model}
            onClose={() => setSearching(false)}
            onReveal={(conversationId, seq) => {
              setSearching(false);
              select(conversationId);
              setReveal({ conversationId, seq, at: Date.now() });
            }}
          />
        ) : null}
        {state.status !== 'online' ? (
          <div class="banner" role="status">
            {state.socketLimit !== undefined
              ? `Parley is open in too many tabs or windows (${state.socketLimit} at most for one account). Close one and this one connects.`
              : state.status === 'connecting'
                ? 'Connecting…'
                : 'Offline. Reconnecting… Messages you write are sent when the connection returns.'}
          </div>
        ) : null}
        {state.notice ? (
          <div class="notice" role="alert">
            <span>{state.notice}</span>
            <button type="button" class="icon" aria-label="Dismiss" onClick={() => model.notify(undefined)}>
              <Icon icon={X} size={18} />
            </button>
          </div>
        ) : null}
        {arrival.toast ? (
          <ArrivalToast
            toast={arrival.toast}
            onOpen={() => {
              const id = arrival.toast?.conversationId;
              arrival.dismiss();
              if (id) select(id);
            }}
            onDismiss={arrival.dismiss}
          />
        ) : null}
        <nav class="sidebar" aria-label="Conversations">
          <header class="sidebar-header">
            <div class="me">
              <Avatar name={state.me.displayName} id={state.me.userId} />
              <div>
                <strong>{state.me.displayName}</strong>
                <div class="muted small">@{state.me.username}</div>
              </div>
            </div>
            <div class="actions">
              <button
                type="button"
                class="icon"
                onClick={() => setSearching(true)}
                aria-label="Search messages"
                aria-keyshortcuts="Control+Shift+F"
                title="Search messages (Ctrl+Shift+F)"
              >
                <Icon icon={Search} />
              </button>
              <button
                type="button"
                class="icon"
                onClick={() => setPanel('new-group')}
                aria-label="New group"
                title="New group"
              >
                <Icon icon={SquarePen} />
              </button>
              <button
                type="button"
                class="icon badge-holder"
                onClick={() => setPanel('people')}
                aria-label={`People${incoming ? `, ${incoming} requests` : ''}`}
                title="People: find friends, answer requests"
              >
                <Icon icon={UserPlus} />
                {incoming ? (
                  <span class="badge icon-badge" aria-hidden="true">
                    {incoming}
                  </span>
                ) : null}
              </button>
              <button
                type="button"
                class="icon"
                onClick={() => setPanel('settings')}
                aria-label="Settings"
                title="Settings"
              >
                <Icon icon={Settings} />
              </button>
            </div>
          </header>
          {state.historyTransfer ? (
            <HistoryTransferCard model={model} transfer={state.historyTransfer} />
          ) : (
            <HistorySourcesCard model={model} state={state} />
          )}
          <ChatList model={model} state={state} openId={openId} onSelect={select} />
          <footer class="sidebar-footer">
            <button type="button" class="quiet" onClick={() => setSigningOut(true)}>
              <Icon icon={LogOut} size={18} />
              Sign out
            </button>
          </footer>
          {signingOut ? (
            <SignOutDialog
              model={model}
              onCancel={() => setSigningOut(false)}
              onSignOut={(options) => props.onSignOut(options)}
            />
          ) : null}
        </nav>
        <main class="main" id="main" tabIndex={-1}>
          {panel === 'people' ? (
            <PeoplePanel model={model} onClose={() => setPanel('chat')} onOpen={select} />
          ) : panel === 'settings' ? (
            <SettingsPanel
              model={model}
              onClose={() => setPanel('chat')}
              onSignOutEverywhere={() => props.onSignOut({ everywhere: true })}
              onPasswordChanged={() => props.onSignOut({ everywhere: true, passwordChanged: true })}
              onAccountDeleted={() => props.onSignOut({ deleted: true })}
            />
          ) : panel === 'new-group' ? (
            <NewGroupDialog model={model} onClose={() => setPanel('chat')} onCreated={select} />
          ) : open ? (
            <ChatView
              key={open.conversationId}
              model={model}
              conversation={open}
              onBack={() => select(undefined)}
              reveal={reveal?.conversationId === open.conversationId ? reveal : undefined}
            />
          ) : (
            <div class="placeholder">
              <span class="placeholder-art" aria-hidden="true">
                <Icon icon={LockKeyhole} size={36} />
              </span>
              <h2>Pick a conversation</h2>
              <p class="muted">Or find people to talk to. Everything you write is end-to-end encrypted.</p>
              <p class="muted small shortcuts-hint">
                <kbd>Ctrl</kbd> + <kbd>K</kbd> finds a chat, <kbd>Ctrl</kbd> + <kbd>Shift</kbd> + <kbd>F</kbd>{' '}
                searches messages, <kbd>Ctrl</kbd> + <kbd>/</kbd> shows every shortcut.
              </p>
            </div>
          )}
        </main>
      </div>
    </PicturesContext.Provider>
  );
}

/** The skip link's target: the open chat's message box, else the main pane. */
function skipToMain(): void {
  (document.getElementById('composer-input') ?? document.getElementById('main'))?.focus();
}
