import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLevelDbInPlace } from './level-reads';

interface Db {
  open(): Promise<void>;
  close(): Promise<void>;
  put(key: string, value: unknown): Promise<void>;
  get(key: string): Promise<unknown>;
  del(key: string): Promise<void>;
}

const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { Level } = fromDynalite('level') as { Level: new (path: string, options: object) => Db };

describe('LevelDB reads in place', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('reads what dynalite wrote, as the thread pool did: values, missing keys, deletes, after a reopen', async () => {
    readLevelDbInPlace();
    readLevelDbInPlace();
    const dir = mkdtempSync(join(tmpdir(), 'parley-level-'));
    dirs.push(dir);
    const db = new Level(dir, { valueEncoding: 'json' });
    await db.open();
    await db.put('item~a', { S: 'one' });
    expect(await db.get('item~a')).toEqual({ S: 'one' });
    expect(await db.get('item~missing')).toBeUndefined();
    await db.put('item~a', { S: 'two' });
    expect(await db.get('item~a')).toEqual({ S: 'two' });
    await db.del('item~a');
    expect(await db.get('item~a')).toBeUndefined();
    await db.put('item~b', { N: '3' });
    await db.close();
    await expect(db.get('item~b')).rejects.toThrow();

    const again = new Level(dir, { valueEncoding: 'json' });
    await again.open();
    expect(await again.get('item~b')).toEqual({ N: '3' });
    await again.close();
  });
});
