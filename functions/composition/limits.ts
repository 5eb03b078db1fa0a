import type { Caps } from '../caps';
import { Env, loadConfig } from '../config';

/** The stage's per-user caps, read once per execution environment. */
export function caps(): Caps {
  return loadConfig([Env.Caps]).CAPS;
}
