/**
 * Vitest's global setup: says once per run which Chromium the browser tests drive, and why, and unpacks
 * the npm one here when it is the one picked (so the test workers do not each unpack it).
 */
import { chromiumToLaunch } from './chromium';

export default async function setup(): Promise<void> {
  try {
    console.log((await chromiumToLaunch()).description);
  } catch (error) {
    // Only the browser tests need it: they fail with this message, and the other tests still run.
    console.log(`Chromium: none for the browser tests. ${(error as Error).message}`);
  }
}
