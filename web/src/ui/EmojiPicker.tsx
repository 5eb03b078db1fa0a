import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from './Icon';
import { Smile } from './icons';

/** The picker's sets, as WhatsApp and Signal group them; the most used come first in each. */
const SETS: ReadonlyArray<readonly [name: string, icon: string, emoji: string]> = [
  [
    'Smileys',
    '😀',
    '😀 😃 😄 😁 😆 😅 😂 🤣 😊 😇 🙂 🙃 😉 😌 😍 🥰 😘 😗 😙 😚 😋 😛 😝 😜 🤪 🤨 🧐 🤓 😎 🥳 😏 😒 😞 😔 😟 😕 🙁 😣 😖 😫 😩 🥺 😢 😭 😤 😠 😡 🤯 😳 🥵 🥶 😱 😨 😰 😥 😓 🤗 🤔 🤭 🤫 🤥 😶 😐 😑 😬 🙄 😯 😦 😧 😮 😲 🥱 😴 🤤 😪 😵 🤐 🥴 🤢 🤮 🤧 😷 🤒 🤕',
  ],
  [
    'People',
    '👍',
    '👍 👎 👌 🤌 ✌️ 🤞 🤟 🤘 🤙 👈 👉 👆 👇 ☝️ ✋ 🤚 🖐️ 🖖 👋 👏 🙌 👐 🤲 🙏 🤝 💪 🫶 👀 🧠 👶 👧 🧒 👦 👩 🧑 👨 👵 🧓 👴 💁 🙋 🙆 🙅 🤷 🤦 🧑‍💻 🧑‍🍳 🧑‍🎓 🧑‍🏫 🏃 🚶 💃 🕺',
  ],
  ['Hearts', '❤️', '❤️ 🧡 💛 💚 💙 💜 🖤 🤍 🤎 💔 ❣️ 💕 💞 💓 💗 💖 💘 💝 💟 ✨ ⭐ 🌟 💫 🔥 💯 💥 🎉 🎊'],
  [
    'Nature',
    '🐶',
    '🐶 🐱 🐭 🐹 🐰 🦊 🐻 🐼 🐨 🐯 🦁 🐮 🐷 🐸 🐵 🐔 🐧 🐦 🦆 🦉 🐝 🦋 🐌 🐞 🐢 🐍 🐙 🐬 🐳 🐟 🌵 🌲 🌳 🌴 🌱 🌿 🍀 🍁 🌷 🌹 🌻 🌼 🌸 🌞 🌝 🌙 🌈 ☀️ ⛅ 🌧️ ⛄ ❄️ 🌊',
  ],
  [
    'Food',
    '🍕',
    '🍏 🍎 🍐 🍊 🍋 🍌 🍉 🍇 🍓 🫐 🍒 🍑 🥭 🍍 🥥 🥝 🍅 🥑 🥦 🥕 🌽 🌶️ 🥐 🍞 🧀 🥚 🍳 🥞 🥓 🍔 🍟 🍕 🌭 🥪 🌮 🌯 🥗 🍝 🍜 🍣 🍱 🍦 🍩 🍪 🎂 🍰 🧁 🍫 🍿 ☕ 🍵 🍺 🍻 🥂 🍷 🥤',
  ],
  [
    'Activities',
    '⚽',
    '⚽ 🏀 🏈 ⚾ 🎾 🏐 🏉 🎱 🏓 🏸 🥊 ⛳ 🎣 🎽 🎿 🏂 🏋️ 🚴 🏊 🧗 🏆 🥇 🥈 🥉 🎮 🎲 🧩 🎯 🎳 🎸 🎹 🎺 🎻 🥁 🎤 🎧 🎬 🎨 📚 ✈️ 🚗 🚲 🚆 🚀 🏠 🏖️ ⛺ 🗺️',
  ],
  [
    'Objects',
    '💡',
    '💡 📱 💻 ⌚ 📷 🎁 🎈 📅 📌 📎 ✏️ 📝 📦 🔑 🔒 🔓 💰 💳 ✉️ 📣 🔔 ⏰ ⌛ 🧭 🛒 💊 🩹 ✅ ❌ ❓ ❗ ⚠️ 🆗 🆕 ➕ ➖ ✔️ 🔁 💬 💭 🕐',
  ],
];

const RECENT_KEY = 'parley.recent-emoji';
const RECENT_MAX = 24;

function recentEmoji(): string[] {
  try {
    const stored = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown;
    return Array.isArray(stored)
      ? stored.filter((e): e is string => typeof e === 'string').slice(0, RECENT_MAX)
      : [];
  } catch {
    return [];
  }
}

function remember(emoji: string): void {
  const recent = [emoji, ...recentEmoji().filter((e) => e !== emoji)].slice(0, RECENT_MAX);
  localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
}

/**
 * A 😊 button beside the message box that opens the emoji, by set, with the most recently used first.
 * A choice goes in at the caret (the picker stays open for more, as in WhatsApp Web); Esc or a click
 * outside closes it and puts the focus back in the box.
 */
export function EmojiPicker(props: {
  onPick: (emoji: string) => void;
  onClose: () => void;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [set, setSet] = useState(() => (recentEmoji().length > 0 ? 'Recent' : 'Smileys'));
  const root = useRef<HTMLDivElement>(null);
  const grid = useRef<HTMLDivElement>(null);

  const close = () => {
    setOpen(false);
    props.onClose();
  };

  useEffect(() => {
    if (!open) return;
    grid.current?.querySelector<HTMLButtonElement>('button')?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close();
    };
    const onPointer = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
    };
  }, [open]);

  const recent = recentEmoji();
  const sets = recent.length > 0 ? [['Recent', '🕘', recent.join(' ')] as const, ...SETS] : SETS;
  const shown = (sets.find(([name]) => name === set) ?? sets[0])?.[2].split(' ') ?? [];

  return (
    <div class="emoji" ref={root}>
      <button
        type="button"
        class="icon"
        aria-label="Emoji"
        aria-expanded={open}
        disabled={props.disabled}
        onClick={() => {
          // Each opening starts with what was used last, as chat apps' pickers do.
          if (!open && recentEmoji().length > 0) setSet('Recent');
          setOpen(!open);
        }}
        title="Emoji"
      >
        <Icon icon={Smile} />
      </button>
      {open ? (
        <div class="emoji-panel" role="dialog" aria-label="Emoji">
          <div class="emoji-sets" role="tablist" aria-label="Emoji sets">
            {sets.map(([name, icon]) => (
              <button
                type="button"
                role="tab"
                key={name}
                aria-selected={name === set}
                aria-label={name}
                title={name}
                onClick={() => setSet(name)}
              >
                {icon}
              </button>
            ))}
          </div>
          <div class="emoji-grid" ref={grid} role="tabpanel" aria-label={set}>
            {shown.map((emoji) => (
              <button
                type="button"
                key={emoji}
                aria-label={emoji}
                onClick={() => {
                  remember(emoji);
                  props.onPick(emoji);
                }}
              >
                {emoji}
              </button>
            ))}
          </div>
        </div>
      ) : null}
    </div>
  );
}
