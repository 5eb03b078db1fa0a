import { useState } from 'preact/hooks';
import type { ChatModel, ConversationView } from '../app/model';

/** How far one of my messages got with one member, or with all of them (the least far). */
export type Reach = 'sent' | 'delivered' | 'read';

const WORDS: Record<Reach, string> = { sent: 'Sent', delivered: 'Delivered', read: 'Read' };
const ORDER: readonly Reach[] = ['read', 'delivered', 'sent'];
const HEADINGS: Record<Reach, string> = {
  read: 'Read by',
  delivered: 'Delivered to',
  sent: 'Not yet delivered to',
};

/** Each other member's reach for the message at `seq`, from their receipt marks. */
export function reachOf(
  conversation: ConversationView,
  others: readonly string[],
  seq: number,
): { readonly overall: Reach; readonly members: ReadonlyArray<readonly [string, Reach]> } {
  const members = others.map((id): [string, Reach] => {
    const marks = conversation.receipts[id];
    return [id, !marks ? 'sent' : marks.read >= seq ? 'read' : marks.delivered >= seq ? 'delivered' : 'sent'];
  });
  // The message is as far as its least reached member: "Read" in a group means read by everyone.
  const overall = ORDER.findLast((reach) => members.some(([, r]) => r === reach)) ?? 'sent';
  return { overall, members };
}

/**
 * The ticks after my message's time: one for sent, two for delivered to every member's device, two filled
 * for read by everyone. A button: it shows, under the bubble, who has read it and who got it.
 */
export function Ticks(props: { model: ChatModel; reach: ReturnType<typeof reachOf>; group: boolean }) {
  const [open, setOpen] = useState(false);
  const { overall, members } = props.reach;
  return (
    <>
      <button
        type="button"
        class={`ticks ${overall}`}
        title={props.group ? `${WORDS[overall]} · who has it` : WORDS[overall]}
        aria-expanded={open}
        onClick={() => setOpen((v) => !v)}
      >
        <TickIcon reach={overall} />
        <span class="sr-only">{WORDS[overall]}</span>
      </button>
      {open ? (
        <dl class="receipt-info small">
          {ORDER.map((reach) => {
            const who = members.filter(([, r]) => r === reach).map(([id]) => props.model.nameOf(id));
            if (who.length === 0) return null;
            return (
              <div key={reach}>
                <dt>{HEADINGS[reach]}</dt>
                <dd>{who.join(', ')}</dd>
              </div>
            );
          })}
        </dl>
      ) : null}
    </>
  );
}

function TickIcon(props: { reach: Reach }) {
  return (
    <svg width="18" height="12" viewBox="0 0 18 12" aria-hidden="true">
      <path
        d={props.reach === 'sent' ? 'M4 6.5l3 3 6.5-7' : 'M1.5 6.5l3 3 6.5-7M8.2 8.7l.8.8 6.5-7'}
        fill="none"
        stroke="currentColor"
        stroke-width={props.reach === 'read' ? 2 : 1.6}
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}
