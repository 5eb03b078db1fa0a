import { createRequire } from 'node:module';

interface ClassicLevelPrototype {
  _get(key: unknown, options: unknown): Promise<unknown>;
  _getSync?(key: unknown, options: unknown): unknown;
  readsInPlace?: true;
}

/**
 * dynalite keeps its tables in LevelDB (`classic-level`, through `level`), and every read it makes goes
 * through libuv's thread pool: the stack's one thread, which serves every stand-in, hands the read over and
 * is woken with its answer, 25–50 µs a read when idle and far more once the pool's four threads queue up
 * under load. The local stack's data is small and sits in LevelDB's cache and the page cache, where a read
 * takes about 2 µs in place, so reads are made there (classic-level's own `getSync`, the same read at the
 * same snapshot rules). Writes keep the thread pool. Applied once, before dynalite opens its database;
 * does nothing on a classic-level without `getSync`.
 */
export function readLevelDbInPlace(): void {
  const require = createRequire(dynaliteEntry());
  const { ClassicLevel } = require('classic-level') as { ClassicLevel: { prototype: ClassicLevelPrototype } };
  const prototype = ClassicLevel.prototype;
  const getSync = prototype._getSync;
  if (prototype.readsInPlace || getSync === undefined) return;
  prototype._get = async function (this: ClassicLevelPrototype, key, options) {
    return getSync.call(this, key, options);
  };
  prototype.readsInPlace = true;
}

/** Resolves packages as dynalite does (its `level` and `classic-level`, wherever npm put them). */
function dynaliteEntry(): string {
  return createRequire(import.meta.url).resolve('dynalite');
}
