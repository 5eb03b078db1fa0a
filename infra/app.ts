/**
 * The CDK app: `npx cdk synth -c stage=dev`. Stage settings come from
 * context (see `stage-config.ts`); without credentials the stacks are
 * environment-agnostic, so synthesis works offline.
 */
import { buildApp } from './parley-app';
import { StageConfigError } from './stage-config';

try {
  buildApp().app.synth();
} catch (error) {
  // A mistyped -c value deserves its one-line message, not a stack trace.
  if (!(error instanceof StageConfigError)) throw error;
  console.error(`Parley: ${error.message}`);
  process.exit(1);
}
