/**
 * The E2EE measurements themselves, run unchanged in Node (`e2ee.ts`) and in Chromium (`e2ee-browser.ts`):
 * nothing here may import `node:*`. Results are raw samples in plain numbers, so they cross
 * `page.evaluate` as JSON; `e2ee.ts` summarises them.
 *
 * Every member is one device of its own user. Alice's phone creates the group and makes every commit,
 * Bob's phone applies them; the other members are key packages only, since nobody needs their state.
 */
import { createDevice, type Device, type DeviceKeyPackage, makeKeyPackages } from '../shared/e2ee/device';
import { GroupSession } from '../shared/e2ee/group-session';
import { InMemoryDirectory } from '../shared/e2ee/in-memory-directory';
import { MAX_WELCOME_RECIPIENTS } from '../shared/protocol/limits';

/** What to run; plain data, so it can be handed to the browser. */
export interface E2eeScenarioOptions {
  /** Application message size. */
  readonly plaintextSizeInBytes: number;
  /** Group sizes to measure application messages at. */
  readonly messageGroupSizes: readonly number[];
  /** Measured encrypt + decrypt round trips per group size, after the warm-up. */
  readonly messageRuns: number;
  /** Group sizes to measure commits at, each with its number of runs per commit kind. */
  readonly commitGroups: readonly { readonly size: number; readonly runs: number }[];
}

export type CommitKind = 'add' | 'remove' | 'update';

/** Samples of one commit kind at one group size, one entry per run. */
export interface CommitSamples {
  readonly kind: CommitKind;
  readonly createMs: number[];
  readonly processMs: number[];
  readonly commitBytes: number[];
  /** Only for `add`. */
  readonly welcomeBytes: number[];
  /** Only for `add`: the added device joining from the Welcome. */
  readonly joinMs: number[];
}

export interface GroupResult {
  readonly size: number;
  /** Creating the devices and building the group: not part of any sample. */
  readonly setupMs: number;
  readonly messages?: {
    readonly encryptMs: number[];
    readonly decryptMs: number[];
    /** `MLSMessage` bytes of one application message (all are the same size). */
    readonly messageBytes: number;
  };
  readonly commits?: readonly CommitSamples[];
  /** Encoded group state (`GroupSession.encode()`) after the commits. */
  readonly state?: {
    /** Bob, who has applied every commit since he joined (the library keeps 4 past epochs). */
    readonly memberBytes: number;
    /** A device that has just joined from a Welcome (no past epochs yet). */
    readonly joinerBytes: number;
  };
}

export type Progress = (message: string, data: Record<string, number | string>) => void;

/**
 * Round trips run before the measured ones in each group. The smallest group goes first in a fresh page,
 * where 20 were not enough: its median came out twice that of the next group.
 */
const WARM_UP_MESSAGES = 200;
/** Devices created at once: WebCrypto runs key generation off the main thread, so some overlap helps. */
const DEVICES_AT_ONCE = 50;

interface Member {
  readonly device: Device;
  readonly keyPackage: DeviceKeyPackage;
}

interface Group {
  readonly directory: InMemoryDirectory;
  alice: GroupSession;
  bob: GroupSession;
}

const elapsed = (since: number) => performance.now() - since;

async function createMembers(directory: InMemoryDirectory, prefix: string, count: number) {
  const members: Member[] = [];
  for (let first = 0; first < count; first += DEVICES_AT_ONCE) {
    const indexes = Array.from({ length: Math.min(DEVICES_AT_ONCE, count - first) }, (_, i) => first + i);
    const batch = await Promise.all(
      indexes.map(async (index) => {
        const device = await createDevice(`${prefix}${index}`, 'phone');
        directory.register(device);
        const [keyPackage] = await makeKeyPackages(device, 1);
        if (keyPackage === undefined) throw new Error('makeKeyPackages returned no key package');
        return { device, keyPackage };
      }),
    );
    members.push(...batch);
  }
  return members;
}

function welcomeOf(welcome: Uint8Array | undefined): Uint8Array {
  if (welcome === undefined) throw new Error('A commit that adds devices came without a Welcome');
  return welcome;
}

/**
 * Alice and Bob, then everyone else in commits of up to MAX_WELCOME_RECIPIENTS devices, the most the
 * server takes in one Welcome. Bob applies each commit, as he would in the app.
 */
async function buildGroup(size: number): Promise<Group> {
  const directory = new InMemoryDirectory();
  const [alicePhone, bobPhone] = await createMembers(directory, 'founder', 2);
  if (alicePhone === undefined || bobPhone === undefined) throw new Error('Founders were not created');
  const others = await createMembers(directory, 'member', size - 2);

  let alice = await GroupSession.create(alicePhone.device, directory);
  const addBob = await alice.addDevices([bobPhone.keyPackage.publicBytes]);
  alice = addBob.confirm();
  const joined = await GroupSession.join(bobPhone.device, directory, welcomeOf(addBob.welcome), [
    bobPhone.keyPackage,
  ]);
  let bob = joined.session;
  for (let first = 0; first < others.length; first += MAX_WELCOME_RECIPIENTS) {
    const batch = others.slice(first, first + MAX_WELCOME_RECIPIENTS);
    const pending = await alice.addDevices(batch.map((m) => m.keyPackage.publicBytes));
    bob = (await bob.decrypt(pending.commit)).session;
    alice = pending.confirm();
  }
  return { directory, alice, bob };
}

async function measureMessages(group: Group, plaintextSizeInBytes: number, runs: number) {
  const plaintext = crypto.getRandomValues(new Uint8Array(plaintextSizeInBytes));
  const encryptMs: number[] = [];
  const decryptMs: number[] = [];
  let messageBytes = 0;
  for (let run = 0; run < WARM_UP_MESSAGES + runs; run += 1) {
    const started = performance.now();
    const encrypted = await group.alice.encrypt(plaintext);
    const encryptedAt = performance.now();
    const decrypted = await group.bob.decrypt(encrypted.message);
    const decryptedAt = performance.now();
    group.alice = encrypted.session;
    group.bob = decrypted.session;
    if (run < WARM_UP_MESSAGES) continue;
    encryptMs.push(encryptedAt - started);
    decryptMs.push(decryptedAt - encryptedAt);
    messageBytes = encrypted.message.length;
  }
  return { encryptMs, decryptMs, messageBytes };
}

function emptySamples(kind: CommitKind): CommitSamples {
  return { kind, createMs: [], processMs: [], commitBytes: [], welcomeBytes: [], joinMs: [] };
}

/**
 * Per run: Alice adds one new device (which then joins), then removes those devices again one by one, then
 * updates her own keys. The group is back at `size` members at the end.
 */
async function measureCommits(group: Group, runs: number, progress: Progress) {
  const newcomers = await createMembers(group.directory, 'newcomer', runs);
  const add = emptySamples('add');
  const remove = emptySamples('remove');
  const update = emptySamples('update');
  let joinerBytes = 0;

  for (const newcomer of newcomers) {
    let started = performance.now();
    const pending = await group.alice.addDevices([newcomer.keyPackage.publicBytes]);
    add.createMs.push(elapsed(started));
    started = performance.now();
    group.bob = (await group.bob.decrypt(pending.commit)).session;
    add.processMs.push(elapsed(started));
    group.alice = pending.confirm();
    const welcome = welcomeOf(pending.welcome);
    add.commitBytes.push(pending.commit.length);
    add.welcomeBytes.push(welcome.length);
    started = performance.now();
    const joined = await GroupSession.join(newcomer.device, group.directory, welcome, [newcomer.keyPackage]);
    add.joinMs.push(elapsed(started));
    joinerBytes = joined.session.encode().length;
  }
  progress('Commits measured', { kind: 'add', runs });

  for (const newcomer of [...newcomers].reverse()) {
    let started = performance.now();
    const pending = await group.alice.removeDevices([newcomer.device]);
    remove.createMs.push(elapsed(started));
    started = performance.now();
    group.bob = (await group.bob.decrypt(pending.commit)).session;
    remove.processMs.push(elapsed(started));
    group.alice = pending.confirm();
    remove.commitBytes.push(pending.commit.length);
  }
  progress('Commits measured', { kind: 'remove', runs });

  for (let run = 0; run < runs; run += 1) {
    let started = performance.now();
    const pending = await group.alice.selfUpdate();
    update.createMs.push(elapsed(started));
    started = performance.now();
    group.bob = (await group.bob.decrypt(pending.commit)).session;
    update.processMs.push(elapsed(started));
    group.alice = pending.confirm();
    update.commitBytes.push(pending.commit.length);
  }
  progress('Commits measured', { kind: 'update', runs });

  return {
    commits: [add, remove, update],
    state: { memberBytes: group.bob.encode().length, joinerBytes },
  };
}

/**
 * Runs every scenario, smallest group first; each group is built once and used for its messages, then its
 * commits.
 *
 * @example
 * const results = await runE2eeScenarios(options, (message, data) => console.error(message, data));
 */
export async function runE2eeScenarios(
  options: E2eeScenarioOptions,
  progress: Progress,
): Promise<GroupResult[]> {
  const commitRuns = new Map(options.commitGroups.map((g) => [g.size, g.runs]));
  const sizes = [...new Set([...options.messageGroupSizes, ...commitRuns.keys()])].sort((a, b) => a - b);
  const results: GroupResult[] = [];
  for (const size of sizes) {
    const started = performance.now();
    const group = await buildGroup(size);
    const setupMs = elapsed(started);
    progress('Group built', { size, setupMs: Math.round(setupMs) });
    const messages = options.messageGroupSizes.includes(size)
      ? await measureMessages(group, options.plaintextSizeInBytes, options.messageRuns)
      : undefined;
    const runs = commitRuns.get(size);
    const measured = runs === undefined ? undefined : await measureCommits(group, runs, progress);
    results.push({ size, setupMs, messages, commits: measured?.commits, state: measured?.state });
  }
  return results;
}
