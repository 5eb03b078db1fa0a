/** The machine's load around each part of a run: the benchmark shares two cores with other work. */
import { loadavg } from 'node:os';

/** The 1-minute load average at the start and end of a part. */
export interface LoadAverages {
  readonly start: number;
  readonly end: number;
}

/** A part's result, with the load around it. */
export interface Measured<T> {
  readonly value: T;
  readonly load: LoadAverages;
}

/** The 1-minute load average now. */
export const loadNow = () => loadavg()[0] ?? 0;

/** Runs one part of the benchmark and notes the machine's load around it. */
export async function withLoad<T>(part: () => Promise<T>): Promise<Measured<T>> {
  const start = loadNow();
  const value = await part();
  return { value, load: { start, end: loadNow() } };
}

export const loadLine = (load: LoadAverages) =>
  `1-minute load average ${load.start.toFixed(2)} at the start, ${load.end.toFixed(2)} at the end.`;
