import { toBase64 } from '../base64';
import type { ClientContext } from './context';

/** Key package stock: top up to `target` when fewer than `low` are left on the server. */
export const KEY_PACKAGE_LOW_WATER = 10;
export const KEY_PACKAGE_TARGET = 40;

/**
 * Uploads fresh key packages when fewer than {@link KEY_PACKAGE_LOW_WATER} are left on the server, and a
 * last-resort one when there is none. Returns how many were uploaded.
 */
export async function topUpKeyPackages(ctx: ClientContext): Promise<number> {
  const { api, vault } = ctx;
  const { deviceId } = ctx.self;
  const count = await api.countKeyPackages({ params: { deviceId } });
  const needLastResort = !count.lastResort || !vault.hasLastResort;
  const missing = count.remaining < KEY_PACKAGE_LOW_WATER ? KEY_PACKAGE_TARGET - count.remaining : 0;
  if (missing === 0 && !needLastResort) return 0;
  const made = await vault.makeKeyPackages(Math.max(missing, 1), needLastResort);
  const lastResort = made.find((p) => p.lastResort);
  await api.uploadKeyPackages({
    params: { deviceId },
    body: {
      keyPackages: made.filter((p) => !p.lastResort).map((p) => toBase64(p.publicBytes)),
      ...(lastResort === undefined ? {} : { lastResort: toBase64(lastResort.publicBytes) }),
    },
  });
  return made.length;
}
