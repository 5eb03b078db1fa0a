import { describe, expect, it } from 'vitest';
import { toBase64 } from '../base64';
import { createDevice } from '../device';
import {
  createTransferApproval,
  createTransferOffer,
  createTransferRequest,
  openChunkDescriptor,
  openTransferApproval,
  readTransferOffer,
  readTransferRequest,
  sealChunkDescriptor,
  TransferVerificationError,
  transferCode,
} from './transfer-crypto';

async function pair() {
  const laptop = await createDevice('alice', 'laptop');
  const phone = await createDevice('alice', 'phone');
  const { request, secret } = await createTransferRequest(phone, 'laptop');
  const parties = { userId: 'alice', transferId: 't1', fromDeviceId: 'laptop', toDeviceId: 'phone' };
  return { laptop, phone, request, secret, parties };
}

/** The same bytes with one bit flipped at `at`. */
function flipped(encoded: string, at: number): string {
  const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  bytes[at] = (bytes[at] ?? 0) ^ 1;
  return toBase64(bytes);
}

describe('a history transfer between two devices of one user', () => {
  it('gives both devices the same code and the new device the archive key the old one sealed', async () => {
    const { laptop, phone, request, secret, parties } = await pair();
    const transferKey = await readTransferRequest(request, parties, phone.signaturePublicKey);
    const { offer, nonce } = await createTransferOffer(laptop, parties, request);
    const seen = await readTransferOffer(offer, parties, request, laptop.signaturePublicKey);
    const keys = { fromKey: laptop.signaturePublicKey, toKey: phone.signaturePublicKey, request };
    const onLaptop = transferCode(parties, { ...keys, nonce });
    const onPhone = transferCode(parties, { ...keys, nonce: seen });
    expect(onLaptop).toMatch(/^\d{3} \d{3}$/);
    expect(onPhone).toBe(onLaptop);

    const { approval, archiveKey } = await createTransferApproval(laptop, parties, transferKey, nonce);
    const opened = await openTransferApproval(approval, parties, secret, seen, laptop.signaturePublicKey);
    expect(opened).toEqual(archiveKey);
  });

  it('refuses a request signed by another device, or for another pair of devices', async () => {
    const { request, parties } = await pair();
    const intruder = await createDevice('alice', 'intruder');
    await expect(readTransferRequest(request, parties, intruder.signaturePublicKey)).rejects.toThrow(
      TransferVerificationError,
    );
    const { phone } = await pair();
    await expect(
      readTransferRequest(request, { ...parties, fromDeviceId: 'tablet' }, phone.signaturePublicKey),
    ).rejects.toThrow(TransferVerificationError);
    await expect(readTransferRequest('not base64!', parties, phone.signaturePublicKey)).rejects.toThrow(
      TransferVerificationError,
    );
  });

  it('shows a different code when any value differs: another device key, transfer key or nonce', async () => {
    const { laptop, phone, request, parties } = await pair();
    const { nonce } = await createTransferOffer(laptop, parties, request);
    const keys = { fromKey: laptop.signaturePublicKey, toKey: phone.signaturePublicKey, request };
    const code = transferCode(parties, { ...keys, nonce });
    const other = await createDevice('alice', 'other');
    const { request: otherRequest } = await createTransferRequest(phone, 'laptop');
    expect(transferCode(parties, { ...keys, toKey: other.signaturePublicKey, nonce })).not.toBe(code);
    expect(transferCode(parties, { ...keys, request: otherRequest, nonce })).not.toBe(code);
    expect(transferCode(parties, { ...keys, nonce: nonce.map((b) => b ^ 1) })).not.toBe(code);
    expect(transferCode({ ...parties, transferId: 't2' }, { ...keys, nonce })).not.toBe(code);
  });

  it('refuses an offer or an approval the old device did not sign, or one changed on the way', async () => {
    const { laptop, request, secret, parties } = await pair();
    const { offer, nonce } = await createTransferOffer(laptop, parties, request);
    const stranger = await createDevice('alice', 'stranger');
    await expect(readTransferOffer(offer, parties, request, stranger.signaturePublicKey)).rejects.toThrow(
      TransferVerificationError,
    );
    await expect(
      readTransferOffer(flipped(offer, 3), parties, request, laptop.signaturePublicKey),
    ).rejects.toThrow(TransferVerificationError);
    const { approval } = await createTransferApproval(laptop, parties, secret.publicKey, nonce);
    await expect(
      openTransferApproval(flipped(approval, 40), parties, secret, nonce, laptop.signaturePublicKey),
    ).rejects.toThrow(TransferVerificationError);
    await expect(
      openTransferApproval(approval, parties, secret, nonce, stranger.signaturePublicKey),
    ).rejects.toThrow(TransferVerificationError);
  });

  it('keeps the archive key from any device but the one that asked', async () => {
    const { laptop, parties, secret } = await pair();
    const { nonce } = await createTransferOffer(laptop, parties, 'x');
    const { approval } = await createTransferApproval(laptop, parties, secret.publicKey, nonce);
    const { secret: otherSecret } = await createTransferRequest(
      await createDevice('alice', 'tablet'),
      'laptop',
    );
    await expect(
      openTransferApproval(approval, parties, otherSecret, nonce, laptop.signaturePublicKey),
    ).rejects.toThrow(TransferVerificationError);
  });

  it('opens a chunk descriptor only at its own place in its own transfer', async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const descriptor = { key: 'k', sha256: 's', size: 100, plainSize: 71, chunkSize: 65536, final: true };
    const sealed = await sealChunkDescriptor(key, 't1', 3, descriptor);
    expect(await openChunkDescriptor(key, 't1', 3, sealed)).toEqual(descriptor);
    await expect(openChunkDescriptor(key, 't1', 2, sealed)).rejects.toThrow(TransferVerificationError);
    await expect(openChunkDescriptor(key, 't2', 3, sealed)).rejects.toThrow(TransferVerificationError);
    await expect(
      openChunkDescriptor(crypto.getRandomValues(new Uint8Array(32)), 't1', 3, sealed),
    ).rejects.toThrow(TransferVerificationError);
  });
});
