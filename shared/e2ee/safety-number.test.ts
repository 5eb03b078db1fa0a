import { describe, expect, it } from 'vitest';
import { createDevice, makeKeyPackages } from './device';
import { GroupSession } from './group-session';
import { InMemoryDirectory } from './in-memory-directory';
import { generateSignatureKeyPair } from './mls';
import { deviceSetChanged, deviceSetFingerprint, groupCode, safetyNumber } from './safety-number';

// The full iteration count is exercised once; the other cases need only the structure, not the cost.
const fast = { iterations: 8 };

async function keys(count: number): Promise<Uint8Array[]> {
  return Promise.all(Array.from({ length: count }, async () => (await generateSignatureKeyPair()).publicKey));
}

describe('safetyNumber', () => {
  it('is 60 digits in 12 groups of 5, the same on both sides and in any key order', async () => {
    const [alicePhone, aliceLaptop, bobPhone] = await keys(3);
    if (!alicePhone || !aliceLaptop || !bobPhone) throw new Error('keys');
    const aliceView = await safetyNumber([alicePhone, aliceLaptop], [bobPhone]);
    const bobView = await safetyNumber([bobPhone], [aliceLaptop, alicePhone]);
    expect(aliceView).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(bobView).toBe(aliceView);
  });

  it('changes when either user adds a device', async () => {
    const [alicePhone, bobPhone, bobTablet] = await keys(3);
    if (!alicePhone || !bobPhone || !bobTablet) throw new Error('keys');
    const before = await safetyNumber([alicePhone], [bobPhone], fast);
    expect(await safetyNumber([alicePhone], [bobPhone, bobTablet], fast)).not.toBe(before);
    expect(await safetyNumber([alicePhone, bobTablet], [bobPhone], fast)).not.toBe(before);
    expect(await safetyNumber([alicePhone], [bobPhone], { iterations: 9 })).not.toBe(before);
  });

  it('keeps the halves apart: moving a device from one user to the other changes it', async () => {
    const [a, b, c] = await keys(3);
    if (!a || !b || !c) throw new Error('keys');
    expect(await safetyNumber([a, b], [c], fast)).not.toBe(await safetyNumber([a], [b, c], fast));
  });

  it('refuses an empty side', async () => {
    const [a] = await keys(1);
    if (!a) throw new Error('keys');
    await expect(safetyNumber([a], [], fast)).rejects.toThrow(RangeError);
  });
});

describe('groupCode', () => {
  it('is the same for every member of a group and changes when a device joins', async () => {
    const directory = new InMemoryDirectory();
    const devices = await Promise.all([createDevice('alice', 'phone'), createDevice('bob', 'phone')]);
    for (const d of devices) directory.register(d);
    const [alice, bob] = devices;
    if (!alice || !bob) throw new Error('devices');
    const [bobPackage] = await makeKeyPackages(bob, 1);
    if (!bobPackage) throw new Error('key package');

    const created = await GroupSession.create(alice, directory);
    const codeAlone = await groupCode(created.members().map((m) => m.signaturePublicKey));
    const pending = await created.addDevices([bobPackage.publicBytes]);
    const aliceSession = pending.confirm();
    if (pending.welcome === undefined) throw new Error('welcome');
    const { session: bobSession } = await GroupSession.join(bob, directory, pending.welcome, [bobPackage]);

    const aliceCode = await groupCode(aliceSession.members().map((m) => m.signaturePublicKey));
    const bobCode = await groupCode(
      bobSession
        .members()
        .map((m) => m.signaturePublicKey)
        .reverse(),
    );
    expect(aliceCode).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){5}$/);
    expect(bobCode).toBe(aliceCode);
    expect(aliceCode).not.toBe(codeAlone);
  });
});

describe('deviceSetChanged', () => {
  it('reports added and removed device keys per contact, and nothing for unchanged contacts', async () => {
    const [bob1, bob2, carol1, dave1] = await keys(4);
    if (!bob1 || !bob2 || !carol1 || !dave1) throw new Error('keys');
    const previous = new Map([
      ['bob', [bob1]],
      ['carol', [carol1]],
      ['dave', [dave1]],
    ]);
    const current = new Map([
      ['bob', [bob2.slice(), bob1.slice()]],
      ['carol', [carol1.slice()]],
    ]);
    expect(deviceSetChanged(previous, current)).toEqual([
      { userId: 'bob', added: [bob2], removed: [] },
      { userId: 'dave', added: [], removed: [dave1] },
    ]);
    expect(deviceSetChanged(current, current)).toEqual([]);
  });
});

describe('deviceSetFingerprint', () => {
  it('names one user’s device set in any order, and changes only with that set', async () => {
    const [bobPhone, bobTablet, alicePhone, aliceLaptop] = await keys(4);
    if (!bobPhone || !bobTablet || !alicePhone || !aliceLaptop) throw new Error('keys');
    const bob = await deviceSetFingerprint([bobPhone, bobTablet]);
    expect(bob).toMatch(/^[0-9a-f]{64}$/);
    expect(await deviceSetFingerprint([bobTablet.slice(), bobPhone.slice()])).toBe(bob);
    expect(await deviceSetFingerprint([bobPhone])).not.toBe(bob);
    // Alice adding a laptop changes her safety number with Bob, but not what she remembers of Bob.
    const before = await safetyNumber([alicePhone], [bobPhone, bobTablet], fast);
    const after = await safetyNumber([alicePhone, aliceLaptop], [bobPhone, bobTablet], fast);
    expect(after).not.toBe(before);
    expect(await deviceSetFingerprint([bobPhone, bobTablet])).toBe(bob);
  });
});
