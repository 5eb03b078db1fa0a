import { useEffect, useState } from 'preact/hooks';
import type { Block, PublicProfile } from '../../../shared/protocol/resources';
import type { ChatModel, ConversationView } from '../app/model';
import { Avatar } from './Avatar';
import { ConfirmDialog, useConfirm } from './ConfirmDialog';
import { useAction, useModel } from './hooks';
import { Icon } from './Icon';
import { ArrowLeft } from './icons';

/** Find people by username or email; friend requests both ways; friends; blocks. */
export function PeoplePanel(props: {
  model: ChatModel;
  onClose: () => void;
  onOpen: (conversationId: string) => void;
}) {
  const { model } = props;
  const state = useModel(model);
  const { busy, run } = useAction(model);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<PublicProfile[]>();
  const [blocks, setBlocks] = useState<Block[]>([]);
  const [question, ask] = useConfirm();

  const loadBlocks = () => run(async () => setBlocks(await model.listBlocks()));
  useEffect(() => {
    void loadBlocks();
    void model.reloadFriends();
  }, []);

  const search = (event: Event) => {
    event.preventDefault();
    const q = query.trim();
    void run(async () => {
      const found = await model.findUsers(q);
      setResults(found.filter((u) => u.userId !== state.me.userId));
    });
  };
  const relation = (userId: string) => state.friends.find((f) => f.user.userId === userId)?.state;
  const act = (action: () => Promise<unknown>) =>
    void run(async () => {
      await action();
      await model.reloadFriends();
      await loadBlocks();
    });
  const message = (userId: string) => void run(async () => props.onOpen(await model.openDirect(userId)));
  const incoming = state.friends.filter((f) => f.state === 'incoming');
  const outgoing = state.friends.filter((f) => f.state === 'outgoing');
  const friends = state.friends.filter((f) => f.state === 'friend');

  return (
    <section class="panel" aria-labelledby="people-title">
      <header class="panel-header">
        <button type="button" class="back" onClick={props.onClose} aria-label="Back">
          <Icon icon={ArrowLeft} />
        </button>
        <h2 id="people-title">People</h2>
      </header>
      {question}
      <form class="search" onSubmit={search}>
        <label class="sr-only" for="people-search">
          Username or email
        </label>
        <input
          id="people-search"
          type="search"
          placeholder="Username or email"
          minLength={2}
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || query.trim().length < 2}>
          Find
        </button>
      </form>
      {results ? (
        <section aria-label="Search results">
          <h3>Results</h3>
          {results.length === 0 ? <p class="muted">Nobody found.</p> : null}
          <ul class="people">
            {results.map((user) => (
              <PersonRow key={user.userId} user={user}>
                {relation(user.userId) === 'friend' ? (
                  <button type="button" onClick={() => message(user.userId)}>
                    Message
                  </button>
                ) : relation(user.userId) === 'outgoing' ? (
                  <span class="muted small">Request sent</span>
                ) : relation(user.userId) === 'incoming' ? (
                  <button type="button" onClick={() => act(() => model.acceptFriendRequest(user.userId))}>
                    Accept request
                  </button>
                ) : (
                  <button type="button" onClick={() => act(() => model.sendFriendRequest(user.userId))}>
                    Add friend
                  </button>
                )}
              </PersonRow>
            ))}
          </ul>
        </section>
      ) : null}
      {incoming.length > 0 ? (
        <section aria-label="Friend requests">
          <h3>Requests</h3>
          <ul class="people">
            {incoming.map(({ user }) => (
              <PersonRow key={user.userId} user={user}>
                <button
                  type="button"
                  class="primary"
                  onClick={() => act(() => model.acceptFriendRequest(user.userId))}
                >
                  Accept
                </button>
                <button type="button" onClick={() => act(() => model.rejectFriendRequest(user.userId))}>
                  Decline
                </button>
              </PersonRow>
            ))}
          </ul>
        </section>
      ) : null}
      {outgoing.length > 0 ? (
        <section aria-label="Sent requests">
          <h3>Sent</h3>
          <ul class="people">
            {outgoing.map(({ user }) => (
              <PersonRow key={user.userId} user={user}>
                <button type="button" onClick={() => act(() => model.cancelFriendRequest(user.userId))}>
                  Cancel
                </button>
              </PersonRow>
            ))}
          </ul>
        </section>
      ) : null}
      <section aria-label="Friends">
        <h3>Friends</h3>
        {friends.length === 0 ? (
          <p class="muted">No friends yet. Find someone by username or email.</p>
        ) : null}
        <ul class="people">
          {friends.map(({ user }) => (
            <PersonRow key={user.userId} user={user} online={state.presence[user.userId]?.online}>
              <button type="button" class="primary" onClick={() => message(user.userId)}>
                Message
              </button>
              <button
                type="button"
                onClick={() =>
                  ask({
                    title: `Remove ${user.displayName} from your friends?`,
                    body: (
                      <p>
                        You can no longer message each other until one of you adds the other again. Your chat
                        stays, closed.
                      </p>
                    ),
                    confirm: 'Remove friend',
                    onConfirm: () => void act(() => model.removeFriend(user.userId)),
                  })
                }
              >
                Remove friend
              </button>
              <button
                type="button"
                onClick={() =>
                  ask({
                    title: `Block ${user.displayName}?`,
                    body: (
                      <p>
                        They can no longer message you, send you a friend request or see when you are online.
                        They are not told.
                      </p>
                    ),
                    confirm: 'Block',
                    onConfirm: () => void act(() => model.blockUser(user.userId)),
                  })
                }
              >
                Block
              </button>
            </PersonRow>
          ))}
        </ul>
      </section>
      {blocks.length > 0 ? (
        <section aria-label="Blocked">
          <h3>Blocked</h3>
          <ul class="people">
            {blocks.map(({ user }) => (
              <PersonRow key={user.userId} user={user}>
                <button type="button" onClick={() => act(() => model.unblockUser(user.userId))}>
                  Unblock
                </button>
              </PersonRow>
            ))}
          </ul>
        </section>
      ) : null}
    </section>
  );
}

function PersonRow(props: {
  user: PublicProfile;
  online?: boolean | undefined;
  children: preact.ComponentChildren;
}) {
  return (
    <li class="person">
      <Avatar name={props.user.displayName} id={props.user.userId}>
        {props.online !== undefined ? <span class={`dot ${props.online ? 'online' : ''}`} /> : null}
      </Avatar>
      <span class="person-name">
        {props.user.displayName}
        <span class="small muted"> @{props.user.username}</span>
        {props.online !== undefined ? (
          <span class="sr-only">{props.online ? ', online' : ', offline'}</span>
        ) : null}
      </span>
      <span class="person-actions">{props.children}</span>
    </li>
  );
}

/** A new group: a name and friends to add. */
export function NewGroupDialog(props: {
  model: ChatModel;
  onClose: () => void;
  onCreated: (conversationId: string) => void;
}) {
  const { model } = props;
  const state = useModel(model);
  const { busy, run } = useAction(model);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const friends = state.friends.filter((f) => f.state === 'friend');
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => props.onCreated(await model.createGroup(name.trim(), chosen)));
  };
  return (
    <section class="panel" aria-labelledby="new-group-title">
      <header class="panel-header">
        <button type="button" class="back" onClick={props.onClose} aria-label="Back">
          <Icon icon={ArrowLeft} />
        </button>
        <h2 id="new-group-title">New group</h2>
      </header>
      <form onSubmit={submit} class="stack">
        <label>
          Group name
          <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Members</legend>
          {friends.length === 0 ? <p class="muted">Add friends first: groups are made of friends.</p> : null}
          {friends.map(({ user }) => (
            <label key={user.userId} class="check">
              <input
                type="checkbox"
                checked={chosen.includes(user.userId)}
                onChange={(e) =>
                  setChosen((list) =>
                    e.currentTarget.checked
                      ? [...list, user.userId]
                      : list.filter((id) => id !== user.userId),
                  )
                }
              />
              {user.displayName} <span class="muted small">@{user.username}</span>
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary" disabled={busy || !name.trim() || chosen.length === 0}>
          Create group
        </button>
      </form>
    </section>
  );
}

/** A group's members, name and membership: admins rename, add and remove; anyone leaves. */
export function GroupPanel(props: { model: ChatModel; conversation: ConversationView; onClose: () => void }) {
  const { model, conversation } = props;
  const state = useModel(model);
  const { busy, run } = useAction(model);
  const [name, setName] = useState(conversation.name ?? '');
  const [adding, setAdding] = useState('');
  /** Leaving, and removing someone, wait for the person's yes. */
  const [leaving, setLeaving] = useState(false);
  const [removing, setRemoving] = useState<string>();
  const me = state.me.userId;
  const admin = conversation.role === 'admin';
  const candidates = state.friends.filter(
    (f) => f.state === 'friend' && !conversation.memberIds.includes(f.user.userId),
  );
  const id = conversation.conversationId;
  const roleOf = (userId: string) => conversation.members?.find((m) => m.user.userId === userId)?.role;
  const admins = conversation.memberIds.filter((userId) => roleOf(userId) === 'admin');
  // You first, then the admins, then everyone else, each by name.
  const rank = (userId: string) => (userId === me ? 0 : roleOf(userId) === 'admin' ? 1 : 2);
  const ordered = [...conversation.memberIds].sort(
    (a, b) => rank(a) - rank(b) || model.nameOf(a).localeCompare(model.nameOf(b)),
  );
  const setRole = (userId: string, role: 'admin' | 'member') =>
    void run(async () => {
      await model.setMemberRole(id, userId, role);
      await model.refresh(id);
    });
  return (
    <section class="group-panel" aria-label="Group members">
      {admin ? (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => model.renameGroup(id, name.trim()));
          }}
        >
          <label>
            Group name
            <input value={name} maxLength={100} required onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy || !name.trim()}>
            Rename
          </button>
        </form>
      ) : null}
      <ul class="people">
        {ordered.map((userId) => {
          const who = model.nameOf(userId);
          const isAdmin = roleOf(userId) === 'admin';
          return (
            <li class="person" key={userId}>
              <span class="person-name">
                {userId === me ? 'You' : who}
                {isAdmin ? <span class="role-tag">Admin</span> : null}
              </span>
              {admin && userId !== me ? (
                <span class="person-actions">
                  <button
                    type="button"
                    disabled={busy}
                    aria-label={isAdmin ? `Dismiss as admin: ${who}` : `Make admin: ${who}`}
                    onClick={() => setRole(userId, isAdmin ? 'member' : 'admin')}
                  >
                    {isAdmin ? 'Dismiss as admin' : 'Make admin'}
                  </button>
                  <button
                    type="button"
                    class="danger"
                    disabled={busy}
                    aria-label={`Remove ${who}`}
                    onClick={() => setRemoving(userId)}
                  >
                    Remove
                  </button>
                </span>
              ) : null}
            </li>
          );
        })}
      </ul>
      {admin && candidates.length > 0 ? (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (adding) void run(() => model.addMembers(id, [adding]));
          }}
        >
          <label>
            Add a friend
            <select value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {candidates.map(({ user }) => (
                <option key={user.userId} value={user.userId}>
                  {user.displayName}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={busy || !adding}>
            Add
          </button>
        </form>
      ) : null}
      <p class="group-actions">
        <button type="button" class="danger" onClick={() => setLeaving(true)}>
          Leave group
        </button>
        <button type="button" class="link" onClick={props.onClose}>
          Close
        </button>
      </p>
      {removing !== undefined ? (
        <ConfirmDialog
          title={`Remove ${model.nameOf(removing)} from ${conversation.name ? `“${conversation.name}”` : 'this group'}?`}
          confirm="Remove"
          onCancel={() => setRemoving(undefined)}
          onConfirm={() => {
            setRemoving(undefined);
            void run(() => model.removeMember(id, removing));
          }}
        >
          <p>
            They will no longer receive its messages, and cannot read what is sent after. Everyone in the
            group will see that you removed them.
          </p>
        </ConfirmDialog>
      ) : null}
      {leaving ? (
        <ConfirmDialog
          title={`Leave ${conversation.name ? `“${conversation.name}”` : 'this group'}?`}
          confirm="Leave group"
          onCancel={() => setLeaving(false)}
          onConfirm={() => {
            setLeaving(false);
            void run(() => model.leaveGroup(id));
          }}
        >
          <p>You will no longer receive its messages. The others will see that you left.</p>
          {admin && admins.length === 1 && conversation.memberIds.length > 1 ? (
            <p>You are its only admin: the member who has been in it longest will become admin.</p>
          ) : null}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
