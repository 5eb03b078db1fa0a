/**
 * The identity inside a device's MLS basic credential: UTF-8 `userId/deviceId`. Neither part may be empty
 * or contain `/`, so the split is unambiguous.
 */

/** One device of one user. */
export interface DeviceAddress {
  readonly userId: string;
  readonly deviceId: string;
}

const SEPARATOR = '/';

function isValidPart(part: string): boolean {
  return part.length > 0 && !part.includes(SEPARATOR);
}

/**
 * Encodes a device address as credential identity bytes.
 *
 * @example
 * formatIdentity({ userId: 'alice', deviceId: 'phone' }); // UTF-8 of 'alice/phone'
 */
export function formatIdentity(address: DeviceAddress): Uint8Array {
  if (!isValidPart(address.userId) || !isValidPart(address.deviceId)) {
    throw new RangeError('userId and deviceId must be non-empty and contain no "/"');
  }
  return new TextEncoder().encode(`${address.userId}${SEPARATOR}${address.deviceId}`);
}

/**
 * Parses credential identity bytes; `undefined` for anything that is not exactly `userId/deviceId` in valid
 * UTF-8.
 *
 * @example
 * parseIdentity(new TextEncoder().encode('alice/phone')); // { userId: 'alice', deviceId: 'phone' }
 */
export function parseIdentity(identity: Uint8Array): DeviceAddress | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(identity);
  } catch {
    return undefined;
  }
  const parts = text.split(SEPARATOR);
  if (parts.length !== 2) return undefined;
  const [userId, deviceId] = parts;
  if (userId === undefined || deviceId === undefined || !isValidPart(userId) || !isValidPart(deviceId)) {
    return undefined;
  }
  return { userId, deviceId };
}

/** A stable string key for maps keyed by device. */
export function deviceKeyOf(address: DeviceAddress): string {
  return `${address.userId}${SEPARATOR}${address.deviceId}`;
}
