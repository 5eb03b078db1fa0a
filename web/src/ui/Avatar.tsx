/** How many colours avatars take; each has a light and a dark pair in the style sheet. */
const HUES = 12;

/** A round avatar with a name's initials on a colour of its own, the same for one id everywhere. */
export function Avatar(props: {
  name: string;
  id: string;
  size?: 'large';
  children?: preact.ComponentChildren;
}) {
  return (
    <span class={`avatar hue-${hueOf(props.id)} ${props.size ?? ''}`} aria-hidden="true">
      {initialsOf(props.name)}
      {props.children}
    </span>
  );
}

/** A stable colour index for an id (FNV-1a). */
export function hueOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % HUES;
}

/** The first letters of a name's first two words, for an avatar: "Alice Martin" → "AM", "bob" → "B". */
export function initialsOf(name: string): string {
  return name
    .trim()
    .split(/\s+/u)
    .slice(0, 2)
    .map((word) => [...word][0] ?? '')
    .join('')
    .toUpperCase();
}
