import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: topology entries, the lock file and `cdk.json` are relative to it. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
