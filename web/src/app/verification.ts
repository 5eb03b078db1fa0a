/**
 * What this browser keeps of safety-number checks, in `localStorage` (fingerprints of public keys, no
 * secret): the contact's device set when it was last compared (the Settings warning), and whether I
 * marked the contact verified, with the device set I verified. A verification holds for that device set
 * only: when the contact's devices change, it turns into `changed` until I verify again or dismiss it.
 */

/** What this browser last compared of a friend: a fingerprint of the friend's devices alone. */
export const COMPARED_KEY = (contactId: string) => `parley.compared-devices.${contactId}`;
const VERIFIED_PREFIX = (me: string) => `parley.verified.${me}.`;
const VERIFIED_KEY = (me: string, contactId: string) => `${VERIFIED_PREFIX(me)}${contactId}`;

/** A contact I marked verified; `changed` once their devices are no longer the ones I verified. */
export interface VerificationRecord {
  readonly state: 'verified' | 'changed';
  /** The contact's device-set fingerprint (`deviceSetFingerprint`) when I verified them. */
  readonly contactDevices: string;
}

export function readVerification(me: string, contactId: string): VerificationRecord | undefined {
  const raw = localStorage.getItem(VERIFIED_KEY(me, contactId));
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<VerificationRecord>;
    if (
      (value.state === 'verified' || value.state === 'changed') &&
      typeof value.contactDevices === 'string'
    ) {
      return { state: value.state, contactDevices: value.contactDevices };
    }
  } catch {
    // Not ours, or from a build that kept another shape: as if never verified.
  }
  return undefined;
}

/** I compared the number and mark the contact verified: this is also a comparison for the Settings warning. */
export function markVerified(me: string, contactId: string, contactDevices: string): VerificationRecord {
  const record: VerificationRecord = { state: 'verified', contactDevices };
  localStorage.setItem(VERIFIED_KEY(me, contactId), JSON.stringify(record));
  localStorage.setItem(COMPARED_KEY(contactId), contactDevices);
  return record;
}

/** Unmarks the contact, or dismisses the notice that their number changed. */
export function clearVerification(me: string, contactId: string): void {
  localStorage.removeItem(VERIFIED_KEY(me, contactId));
}

/**
 * Holds a verification against the contact's current devices: a verified contact whose devices changed
 * is no longer verified, and the record says so (`changed`) until I verify again or dismiss it.
 */
export function reconcileVerification(
  me: string,
  contactId: string,
  contactDevices: string,
): VerificationRecord | undefined {
  const record = readVerification(me, contactId);
  if (record?.state !== 'verified' || record.contactDevices === contactDevices) return record;
  const changed: VerificationRecord = { state: 'changed', contactDevices };
  localStorage.setItem(VERIFIED_KEY(me, contactId), JSON.stringify(changed));
  return changed;
}

/** Forgets every check this browser kept for the user (removing this browser's data at sign-out). */
export function forgetVerifications(me: string): void {
  const keys = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i)).filter(
    (key): key is string =>
      key !== null && (key.startsWith(VERIFIED_PREFIX(me)) || key.startsWith(COMPARED_KEY(''))),
  );
  for (const key of keys) localStorage.removeItem(key);
}
