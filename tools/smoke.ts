/**
 * `npm run smoke -- --stage NAME [--outputs FILE]`: the smoke test of a stage (see tools/smoke/run-smoke.ts).
 * Reads the stage's outputs (default outputs-NAME.json; .local/outputs.json for --stage local), prints each
 * step with its time, and exits 0 when every step passed, 1 when one failed, 2 on bad arguments.
 *
 * On AWS it needs credentials allowed cognito-idp:AdminCreateUser, AdminSetUserPassword and
 * AdminDeleteUser on the stage's user pool.
 */
import { parseArgs } from 'node:util';
import { defaultOutputsFile, readStageOutputs } from './client/stage';
import { runSmoke } from './smoke/run-smoke';

// Deployed functions run nodejs22.x; the SDK's warning about this terminal's Node version is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let stage: string;
let outputsFile: string;
try {
  const { values } = parseArgs({ options: { stage: { type: 'string' }, outputs: { type: 'string' } } });
  if (values.stage === undefined) throw new Error('--stage NAME is required');
  stage = values.stage;
  outputsFile = values.outputs ?? defaultOutputsFile(stage);
} catch (error) {
  console.error(
    `${error instanceof Error ? error.message : String(error)}\nUsage: npm run smoke -- --stage NAME [--outputs FILE]`,
  );
  process.exit(2);
}

let outputs: ReturnType<typeof readStageOutputs>;
try {
  outputs = readStageOutputs(outputsFile);
} catch (error) {
  console.error(
    `Smoke test of stage ${stage} FAILED at step "read the outputs": ${(error as Error).message}`,
  );
  process.exit(1);
}
console.log(`Outputs: ${outputsFile}`);
const result = await runSmoke({ stage, outputs });
// A step that timed out may leave a request or socket behind: the verdict is in, so leave now.
process.exit(result.ok ? 0 : 1);
