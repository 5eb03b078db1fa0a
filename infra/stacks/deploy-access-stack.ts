import { Aws, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  type IOidcProvider,
  OidcProviderNative,
  PolicyStatement,
  Role,
  WebIdentityPrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { wildcardResourceFinding } from '../constructs/nag';

/** GitHub's OIDC issuer: what a workflow's `id-token: write` token is signed by. */
export const GITHUB_OIDC_ISSUER = 'token.actions.githubusercontent.com';
/** The audience `aws-actions/configure-aws-credentials` asks GitHub for. */
const STS_AUDIENCE = 'sts.amazonaws.com';
/** The CDK bootstrap's default qualifier (`cdk bootstrap --qualifier` changes it). */
export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';
/** A deploy of every stack with bundling takes minutes; an hour is STS's default and enough. */
const SESSION_DURATION = Duration.hours(1);

export interface DeployAccessStackProps extends StackProps {
  /** The GitHub repository whose workflows may assume the roles, as `owner/name`. */
  readonly repository: string;
  /**
   * The stages the pipeline deploys: each is a GitHub environment of the same
   * name, and only a job running in one of them may assume the deploy role.
   */
  readonly stages: readonly string[];
  /**
   * The account's GitHub OIDC provider, when it has one already (an account
   * holds one provider per issuer).
   * @default a new provider for token.actions.githubusercontent.com
   */
  readonly oidcProviderArn?: string;
  /**
   * The qualifier of the account's CDK bootstrap roles.
   * @default 'hnb659fds'
   */
  readonly bootstrapQualifier?: string;
}

/**
 * What GitHub Actions needs to deploy Parley with short-lived credentials,
 * once per account: the OIDC provider and two roles.
 *
 * - **Deploy** (`ParleyGitHubDeploy`): assumable only by a workflow job that
 *   runs in one of the stages' GitHub environments (so an environment's
 *   protection rules, such as a required reviewer for prod, gate it). It may
 *   assume the CDK bootstrap's deploy, asset-publishing and lookup roles,
 *   which hold the actual permissions, and create and delete the smoke test's
 *   users in Parley's user pools.
 * - **Diff** (`ParleyGitHubDiff`): assumable by a pull request's workflow of
 *   the same repository. It may assume the bootstrap's read-only lookup role
 *   only, which is what `cdk diff --method=template` uses.
 *
 * @example
 * new DeployAccessStack(app, 'Parley-DeployAccess', { repository: 'acme/parley', stages: ['dev', 'prod'] });
 */
export class DeployAccessStack extends Stack {
  readonly deployRole: Role;
  readonly diffRole: Role;

  constructor(scope: Construct, id: string, props: DeployAccessStackProps) {
    super(scope, id, props);
    const qualifier = props.bootstrapQualifier ?? DEFAULT_BOOTSTRAP_QUALIFIER;
    const provider = this.oidcProvider(props);
    const claims = (subjects: string[]) =>
      new WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_ISSUER}:aud`]: STS_AUDIENCE,
          // Exact subjects (any one of the list), no wildcard: another repository, branch or environment gets nothing.
          [`${GITHUB_OIDC_ISSUER}:sub`]: subjects,
        },
      });

    this.deployRole = new Role(this, 'DeployRole', {
      roleName: 'ParleyGitHubDeploy',
      description: `Assumed by ${props.repository}'s deploy workflow in the environments ${props.stages.join(', ')}`,
      assumedBy: claims(props.stages.map((stage) => `repo:${props.repository}:environment:${stage}`)),
      maxSessionDuration: SESSION_DURATION,
    });
    this.allowBootstrapRoles(this.deployRole, qualifier, ['deploy', 'file-publishing', 'lookup']);
    this.allowSmokeUsers(this.deployRole);

    this.diffRole = new Role(this, 'DiffRole', {
      roleName: 'ParleyGitHubDiff',
      description: `Assumed by ${props.repository}'s pull request checks to diff each stage`,
      assumedBy: claims([`repo:${props.repository}:pull_request`]),
      maxSessionDuration: SESSION_DURATION,
    });
    this.allowBootstrapRoles(this.diffRole, qualifier, ['lookup']);

    new CfnOutput(this, 'DeployRoleArn', {
      value: this.deployRole.roleArn,
      description: 'The repository variable AWS_DEPLOY_ROLE_ARN',
    });
    new CfnOutput(this, 'DiffRoleArn', {
      value: this.diffRole.roleArn,
      description: 'The repository variable AWS_DIFF_ROLE_ARN',
    });
  }

  private oidcProvider(props: DeployAccessStackProps): IOidcProvider {
    if (props.oidcProviderArn) {
      return OidcProviderNative.fromOidcProviderArn(this, 'GitHub', props.oidcProviderArn);
    }
    // No thumbprint: IAM trusts GitHub's issuer through its own CA library.
    return new OidcProviderNative(this, 'GitHub', {
      url: `https://${GITHUB_OIDC_ISSUER}`,
      clientIds: [STS_AUDIENCE],
    });
  }

  /** The bootstrap roles (in any region of this account) that carry the real permissions. */
  private allowBootstrapRoles(role: Role, qualifier: string, kinds: readonly string[]): void {
    const arns = kinds.map(
      (kind) =>
        `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-${qualifier}-${kind}-role-${Aws.ACCOUNT_ID}-*`,
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sts:AssumeRole', 'sts:TagSession'], resources: arns }),
    );
    for (const arn of arns) {
      Validations.of(role).acknowledge({
        id: wildcardResourceFinding(role, arn),
        reason:
          'The trailing wildcard is the region: the bootstrap names its roles by account and region, and a stage ' +
          'may live in any region the team bootstraps (us-east-1 too, for CloudFront certificates and WAF).',
      });
    }
  }

  /** The smoke test (`npm run smoke`) makes two users, signs them in and deletes them. */
  private allowSmokeUsers(role: Role): void {
    const pools = `arn:${Aws.PARTITION}:cognito-idp:*:${Aws.ACCOUNT_ID}:userpool/*`;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'cognito-idp:AdminCreateUser',
          'cognito-idp:AdminSetUserPassword',
          'cognito-idp:AdminDeleteUser',
        ],
        resources: [pools],
        // Parley's stacks tag every resource project=parley; no other pool of the account is reachable.
        conditions: { StringEquals: { 'aws:ResourceTag/project': 'parley' } },
      }),
    );
    Validations.of(role).acknowledge({
      id: wildcardResourceFinding(role, pools),
      reason:
        "The pools are named by stage deploys that come after this stack; the condition on the pool's " +
        'project=parley tag keeps every other pool of the account out of reach.',
    });
  }
}
