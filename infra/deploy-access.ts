/**
 * The CDK app of GitHub Actions' access to an account, deployed once per
 * account by someone with administrator credentials, before the pipeline's
 * first run:
 *
 *   npx cdk deploy -a "npx tsx infra/deploy-access.ts" -c githubRepo=OWNER/NAME
 *
 * Separate from the stage app (`infra/app.ts`): it belongs to the account,
 * not to a stage, and the pipeline's own role must not be able to change it.
 */
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_BOOTSTRAP_QUALIFIER, DeployAccessStack } from './stacks/deploy-access-stack';
import { assertStageName, StageConfigError } from './stage-config';

/** CDK context keys this app reads (`-c key=value`). */
export const DeployAccessContext = {
  githubRepo: 'githubRepo',
  deployStages: 'deployStages',
  githubOidcProviderArn: 'githubOidcProviderArn',
  bootstrapQualifier: 'bootstrapQualifier',
} as const;

/** The stages `.github/workflows/deploy.yml` deploys, in order. */
export const DEFAULT_DEPLOY_STAGES = ['dev', 'prod'] as const;
export const DEPLOY_ACCESS_STACK_NAME = 'Parley-DeployAccess';

const REPOSITORY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const OIDC_PROVIDER_ARN_PATTERN =
  /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
const QUALIFIER_PATTERN = /^[a-z0-9]{1,10}$/;

/**
 * Builds the app from context, as the CLI would give it.
 *
 * @example
 * const { stack } = buildDeployAccessApp({ githubRepo: 'acme/parley' });
 */
export function buildDeployAccessApp(context: Readonly<Record<string, unknown>> = {}) {
  const app = new App({ context: { ...context } });
  const read = (key: string): unknown => app.node.tryGetContext(key);

  const repository = read(DeployAccessContext.githubRepo);
  if (typeof repository !== 'string' || !REPOSITORY_PATTERN.test(repository)) {
    throw new StageConfigError(
      `Context ${DeployAccessContext.githubRepo} must name the GitHub repository as OWNER/NAME, e.g. -c githubRepo=acme/parley`,
    );
  }
  const stagesValue = read(DeployAccessContext.deployStages) ?? DEFAULT_DEPLOY_STAGES.join(',');
  if (typeof stagesValue !== 'string') {
    throw new StageConfigError(
      `Context ${DeployAccessContext.deployStages} must be a comma-separated list of stages`,
    );
  }
  const stages = stagesValue.split(',').map((stage) => stage.trim());
  for (const stage of stages) assertStageName(stage);
  const oidcProviderArn = read(DeployAccessContext.githubOidcProviderArn);
  if (
    oidcProviderArn !== undefined &&
    !(typeof oidcProviderArn === 'string' && OIDC_PROVIDER_ARN_PATTERN.test(oidcProviderArn))
  ) {
    throw new StageConfigError(
      `Context ${DeployAccessContext.githubOidcProviderArn} must be the ARN of the account's provider for token.actions.githubusercontent.com`,
    );
  }
  const qualifier = read(DeployAccessContext.bootstrapQualifier) ?? DEFAULT_BOOTSTRAP_QUALIFIER;
  if (typeof qualifier !== 'string' || !QUALIFIER_PATTERN.test(qualifier)) {
    throw new StageConfigError(
      `Context ${DeployAccessContext.bootstrapQualifier} must be the CDK bootstrap qualifier: up to 10 lowercase letters and digits`,
    );
  }

  const stack = new DeployAccessStack(app, DEPLOY_ACCESS_STACK_NAME, {
    description: 'Parley: GitHub Actions OIDC access for the deploy pipeline (per account)',
    repository,
    stages,
    bootstrapQualifier: qualifier,
    ...(oidcProviderArn ? { oidcProviderArn } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    buildDeployAccessApp().app.synth();
  } catch (error) {
    if (!(error instanceof StageConfigError)) throw error;
    console.error(`Parley: ${error.message}`);
    process.exit(1);
  }
}
