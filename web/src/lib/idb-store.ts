import { EncryptedStateStore } from '../../../shared/e2ee/encrypted-state-store';
import type { StateStore } from '../../../shared/e2ee/state-store';

const VALUES = 'values';
const KEYS = 'keys';
/** Encrypted attachments waiting to be uploaded, as Blobs (the browser may keep them on disk). */
const BLOBS = 'blobs';
const STATE_KEY = 'state-key';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function open(name: string): Promise<IDBDatabase> {
  const opening = indexedDB.open(name, 2);
  opening.onupgradeneeded = (event) => {
    // Version 1 had values and keys; version 2 adds the blobs.
    if (event.oldVersion < 1) {
      opening.result.createObjectStore(VALUES);
      opening.result.createObjectStore(KEYS);
    }
    if (event.oldVersion < 2) opening.result.createObjectStore(BLOBS);
  };
  return request(opening).then((db) => {
    // Let a deletion (a revoked browser forgetting its keys) go ahead instead of waiting for this tab.
    db.onversionchange = () => db.close();
    return db;
  });
}

/** One IndexedDB database per user and device: values by name, in the clear (wrap it to encrypt). */
class IndexedDbStore implements StateStore {
  constructor(private readonly db: IDBDatabase) {}

  async get(name: string): Promise<Uint8Array | undefined> {
    const value = await request(this.db.transaction(VALUES).objectStore(VALUES).get(name));
    return value instanceof Uint8Array ? value : undefined;
  }

  async put(name: string, value: Uint8Array): Promise<void> {
    const tx = this.db.transaction(VALUES, 'readwrite');
    tx.objectStore(VALUES).put(value, name);
    await done(tx);
  }

  async delete(name: string): Promise<void> {
    const tx = this.db.transaction(VALUES, 'readwrite');
    tx.objectStore(VALUES).delete(name);
    await done(tx);
  }
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/**
 * The device's store: IndexedDB, every value encrypted with AES-GCM under a non-extractable key that is
 * itself kept in IndexedDB (script in this origin can use it, never read it out).
 */
export async function openDeviceStore(userId: string): Promise<StateStore> {
  const db = await open(`parley-${userId}`);
  let key = (await request(db.transaction(KEYS).objectStore(KEYS).get(STATE_KEY))) as CryptoKey | undefined;
  if (key === undefined) {
    key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const tx = db.transaction(KEYS, 'readwrite');
    tx.objectStore(KEYS).put(key, STATE_KEY);
    await done(tx);
  }
  return new EncryptedStateStore(new IndexedDbStore(db), key);
}

/**
 * Blobs by name, for encrypted attachments in the outbox: kept as they are (they are ciphertext, and
 * their keys are in the encrypted store), so a 100 MB file is not copied into memory to be stored.
 */
export interface BlobShelf {
  get(name: string): Promise<Blob | undefined>;
  put(name: string, blob: Blob): Promise<void>;
  delete(name: string): Promise<void>;
}

/** The user's blob shelf, in the same database as the device's store. */
export async function openBlobShelf(userId: string): Promise<BlobShelf> {
  const db = await open(`parley-${userId}`);
  return {
    get: async (name) => {
      const value = await request(db.transaction(BLOBS).objectStore(BLOBS).get(name));
      return value instanceof Blob ? value : undefined;
    },
    put: async (name, blob) => {
      const tx = db.transaction(BLOBS, 'readwrite');
      tx.objectStore(BLOBS).put(blob, name);
      await done(tx);
    },
    delete: async (name) => {
      const tx = db.transaction(BLOBS, 'readwrite');
      tx.objectStore(BLOBS).delete(name);
      await done(tx);
    },
  };
}

/** Forgets everything this browser kept for the user (on sign-out from a shared computer, or revocation). */
export async function deleteDeviceStore(userId: string): Promise<void> {
  await request(indexedDB.deleteDatabase(`parley-${userId}`));
}
