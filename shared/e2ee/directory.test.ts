import { describe, expect, it } from 'vitest';
import { createDevice, makeKeyPackages } from './device';
import { DirectoryAuthenticationService } from './directory';
import { formatIdentity, parseIdentity } from './identity';
import { InMemoryDirectory } from './in-memory-directory';
import { basicCredential, decodeKeyPackage, isLastResort, keyPackageLeaf } from './mls';

const utf8 = (value: string) => new TextEncoder().encode(value);

describe('identity', () => {
  it('round-trips userId/deviceId and refuses anything else', () => {
    expect(parseIdentity(formatIdentity({ userId: 'alice', deviceId: 'phone' }))).toEqual({
      userId: 'alice',
      deviceId: 'phone',
    });
    for (const bad of ['alice', 'alice/', '/phone', 'a/b/c', ''])
      expect(parseIdentity(utf8(bad))).toBeUndefined();
    expect(parseIdentity(new Uint8Array([0xff, 0x2f, 0x61]))).toBeUndefined();
    expect(() => formatIdentity({ userId: 'a/b', deviceId: 'c' })).toThrow(RangeError);
  });
});

describe('DirectoryAuthenticationService', () => {
  it('accepts exactly a listed, unrevoked device with its registered key', async () => {
    const directory = new InMemoryDirectory();
    const phone = await createDevice('alice', 'phone');
    const other = await createDevice('alice', 'phone');
    directory.register(phone);
    const auth = new DirectoryAuthenticationService(directory);
    const credential = basicCredential(utf8('alice/phone'));

    expect(await auth.validateCredential(credential, phone.signaturePublicKey)).toBe(true);
    expect(await auth.validateCredential(credential, other.signaturePublicKey)).toBe(false);
    expect(
      await auth.validateCredential(basicCredential(utf8('alice/laptop')), phone.signaturePublicKey),
    ).toBe(false);
    expect(await auth.validateCredential(basicCredential(utf8('alice')), phone.signaturePublicKey)).toBe(
      false,
    );
    expect(
      await auth.validateCredential({ credentialType: 'x509', certificates: [] }, phone.signaturePublicKey),
    ).toBe(false);

    directory.revoke('alice', 'phone');
    expect(await auth.validateCredential(credential, phone.signaturePublicKey)).toBe(false);
  });

  it('judges as of a moment: a device revoked after it is valid, one revoked at or before it is not', async () => {
    const directory = new InMemoryDirectory();
    const phone = await createDevice('alice', 'phone');
    const other = await createDevice('alice', 'phone');
    directory.register(phone);
    directory.revoke('alice', 'phone', 1_000);
    const auth = new DirectoryAuthenticationService(directory);
    const credential = basicCredential(utf8('alice/phone'));

    expect(await auth.asOf(999).validateCredential(credential, phone.signaturePublicKey)).toBe(true);
    expect(await auth.asOf(1_000).validateCredential(credential, phone.signaturePublicKey)).toBe(false);
    expect(await auth.asOf(1_001).validateCredential(credential, phone.signaturePublicKey)).toBe(false);
    expect(await auth.validateCredential(credential, phone.signaturePublicKey)).toBe(false);
    // The moment excuses only the revocation: another key or an unlisted device is refused at any time.
    expect(await auth.asOf(999).validateCredential(credential, other.signaturePublicKey)).toBe(false);
    expect(
      await auth
        .asOf(999)
        .validateCredential(basicCredential(utf8('alice/laptop')), phone.signaturePublicKey),
    ).toBe(false);
  });
});

describe('makeKeyPackages', () => {
  it('signs every package with the device key under its userId/deviceId, last one last-resort', async () => {
    const phone = await createDevice('alice', 'phone');
    const packages = await makeKeyPackages(phone, 3, { withLastResort: true });
    expect(packages).toHaveLength(3);
    const decoded = packages.map((p) => decodeKeyPackage(p.publicBytes));
    for (const keyPackage of decoded) {
      const { credential, signaturePublicKey } = keyPackageLeaf(keyPackage);
      expect(credential).toEqual(basicCredential(utf8('alice/phone')));
      expect(signaturePublicKey).toEqual(phone.signaturePublicKey);
    }
    expect(decoded.map(isLastResort)).toEqual([false, false, true]);
    expect(new Set(decoded.map((k) => k.initKey.join(','))).size).toBe(3);
  });
});
