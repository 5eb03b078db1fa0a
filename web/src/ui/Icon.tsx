import type { IconNode } from 'lucide';
import { h } from 'preact';

/**
 * A line icon from lucide, drawn in the text's colour. It is decoration: the button or link it sits in
 * carries the name (`aria-label`), and a `title` shows it on hover.
 */
export function Icon(props: { icon: IconNode; size?: number }) {
  const size = props.size ?? 20;
  return (
    <svg
      class="lucide"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {props.icon.map(([tag, attrs], index) => h(tag, { key: index, ...attrs }))}
    </svg>
  );
}
