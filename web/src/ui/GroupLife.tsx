import { useEffect } from 'preact/hooks';
import { groupEventText } from '../app/group-events';
import type { ChatModel } from '../app/model';
import { fullDateTime, type TimelineEntry } from '../app/timeline';
import { useModel } from './hooks';

/** A change of the group in the chat, centred and muted between the messages: "Alice added Carol". */
export function GroupEventLine(props: {
  model: ChatModel;
  entry: Extract<TimelineEntry, { kind: 'event' }>;
}) {
  const { model, entry } = props;
  const state = useModel(model);
  const named = [entry.event.actorId, ...(entry.event.userIds ?? []), ...(entry.event.admins ?? [])];
  useEffect(() => {
    if (entry.event.type === 'account_deleted') model.markAccountDeleted(entry.event.actorId);
    else void model.learnUsers(named);
  }, [entry.key]);
  const text = groupEventText(entry.event, { me: state.me.userId, nameOf: (id) => model.nameOf(id) });
  return (
    <li class="group-event" data-seq={entry.seq}>
      <span title={fullDateTime(entry.sentAt)}>{text}</span>
    </li>
  );
}
