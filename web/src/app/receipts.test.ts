import { describe, expect, it } from 'vitest';
import { raiseMarks } from './receipts';

describe('raiseMarks', () => {
  it('takes the first marks as they come', () => {
    expect(raiseMarks(undefined, { delivered: 4, read: 2 })).toEqual({ delivered: 4, read: 2 });
  });

  it('never moves a mark back: a replayed or overtaken push changes nothing', () => {
    const known = { delivered: 11, read: 11 };
    expect(raiseMarks(known, { delivered: 3, read: 3 })).toEqual(known);
  });

  it('moves each mark on its own', () => {
    expect(raiseMarks({ delivered: 9, read: 2 }, { delivered: 5, read: 4 })).toEqual({
      delivered: 9,
      read: 4,
    });
  });

  it('counts what was read as delivered', () => {
    expect(raiseMarks({ delivered: 3, read: 3 }, { delivered: 0, read: 7 })).toEqual({
      delivered: 7,
      read: 7,
    });
  });

  it('ends where the furthest push says, in whatever order 41 rapid pushes arrive', () => {
    const pushes = Array.from({ length: 41 }, (_, i) => ({ delivered: i + 1, read: i }));
    const shuffled = [...pushes].sort((a, b) => ((a.read * 7919) % 41) - ((b.read * 7919) % 41));
    let marks: ReturnType<typeof raiseMarks> | undefined;
    const seen: number[] = [];
    for (const push of shuffled) {
      marks = raiseMarks(marks, push);
      seen.push(marks.read);
    }
    expect(marks).toEqual({ delivered: 41, read: 40 });
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});
