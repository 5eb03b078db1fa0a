import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** How many colours avatars take; each has a light and a dark pair in the style sheet. */
const HUES = 12;

/**
 * User id → an object URL of their profile picture, decrypted in this browser (`state.pictures`): the
 * signed-in app provides it once, so every avatar shows a picture where there is one.
 */
export const PicturesContext = createContext<Readonly<Record<string, string>>>({});

/**
 * A round avatar: the person's picture when this browser could open one, else a name's initials on a
 * colour of its own, the same for one id everywhere.
 */
export function Avatar(props: {
  name: string;
  /** A user id (their picture shows when there is one) or a group's conversation id. */
  id: string;
  size?: 'large';
  children?: preact.ComponentChildren;
}) {
  const picture = useContext(PicturesContext)[props.id];
  return (
    <span
      class={`avatar hue-${hueOf(props.id)} ${props.size ?? ''} ${picture ? 'has-picture' : ''}`}
      aria-hidden="true"
    >
      {picture ? <img src={picture} alt="" /> : initialsOf(props.name)}
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
