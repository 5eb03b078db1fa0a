import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildDeployAccessApp } from './deploy-access';
import { StageConfigError } from './stage-config';

const REPOSITORY = 'acme/parley';

function synth(context: Record<string, unknown> = {}) {
  const { app, stack } = buildDeployAccessApp({ githubRepo: REPOSITORY, ...context });
  app.synth();
  return { stack, template: Template.fromStack(stack) };
}

/** The trust policy of the role with this name. */
function trustOf(template: Template, roleName: string) {
  const [role] = Object.values(
    template.findResources('AWS::IAM::Role', { Properties: { RoleName: roleName } }),
  );
  if (!role) throw new Error(`No role named ${roleName}`);
  return (role.Properties as { AssumeRolePolicyDocument: { Statement: Record<string, unknown>[] } })
    .AssumeRolePolicyDocument.Statement;
}

/** Every action a role's policies allow, with the resources, flattened to text for matching. */
function allowedBy(template: Template, roleLogicalIdPrefix: string) {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
    id.startsWith(roleLogicalIdPrefix),
  );
  return policies.flatMap(([, policy]) =>
    (
      policy.Properties as {
        PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
      }
    ).PolicyDocument.Statement.map((statement) => ({
      actions: [statement.Action].flat(),
      resources: JSON.stringify(statement.Resource),
    })),
  );
}

describe("GitHub Actions' access to an account", () => {
  it('lets only jobs in the stages’ environments of this repository assume the deploy role', () => {
    const { template } = synth();
    expect(trustOf(template, 'ParleyGitHubDeploy')).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': [
              'repo:acme/parley:environment:dev',
              'repo:acme/parley:environment:prod',
            ],
          },
        },
      }),
    ]);
  });

  it('lets pull requests of this repository assume the diff role, and nothing else', () => {
    const { template } = synth();
    const [statement] = trustOf(template, 'ParleyGitHubDiff');
    expect(JSON.stringify(statement?.Condition)).toContain('"repo:acme/parley:pull_request"');
    expect(JSON.stringify(statement?.Condition)).not.toContain('environment');
  });

  it('gives the diff role the bootstrap lookup role only, and the deploy role the bootstrap roles and smoke users', () => {
    const { template } = synth();
    const diff = allowedBy(template, 'DiffRole');
    expect(diff.map(({ actions }) => actions)).toEqual([['sts:AssumeRole', 'sts:TagSession']]);
    expect(diff[0]?.resources).toContain(':role/cdk-hnb659fds-lookup-role-');
    expect(diff[0]?.resources).not.toMatch(/deploy-role|file-publishing/);

    const deploy = allowedBy(template, 'DeployRole');
    expect(deploy.flatMap(({ actions }) => actions).sort()).toEqual([
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminDeleteUser',
      'cognito-idp:AdminSetUserPassword',
      'sts:AssumeRole',
      'sts:TagSession',
    ]);
    for (const kind of ['deploy', 'file-publishing', 'lookup']) {
      expect(deploy[0]?.resources).toContain(`:role/cdk-hnb659fds-${kind}-role-`);
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['cognito-idp:AdminCreateUser']),
            Condition: { StringEquals: { 'aws:ResourceTag/project': 'parley' } },
          }),
        ]),
      },
    });
  });

  it('makes the OIDC provider, or uses the account’s own, and follows another bootstrap qualifier', () => {
    expect(Object.keys(synth().template.findResources('AWS::IAM::OIDCProvider'))).toHaveLength(1);
    const arn = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    const { template } = synth({
      githubOidcProviderArn: arn,
      bootstrapQualifier: 'parley1',
      deployStages: 'staging',
    });
    expect(Object.keys(template.findResources('AWS::IAM::OIDCProvider'))).toHaveLength(0);
    expect(JSON.stringify(trustOf(template, 'ParleyGitHubDeploy'))).toContain(arn);
    expect(JSON.stringify(trustOf(template, 'ParleyGitHubDeploy'))).toContain(
      'repo:acme/parley:environment:staging',
    );
    expect(allowedBy(template, 'DeployRole')[0]?.resources).toContain(':role/cdk-parley1-deploy-role-');
  });

  it('is cdk-nag clean, every finding acknowledged with a reason', () => {
    const { stack } = synth();
    const findings = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(findings).toEqual([]);
  });

  it.each([
    [{ githubRepo: undefined }, /githubRepo/],
    [{ githubRepo: 'parley' }, /OWNER\/NAME/],
    [{ githubRepo: 'acme/parley;rm' }, /OWNER\/NAME/],
    [{ deployStages: 'dev,Prod' }, /Invalid stage name 'Prod'/],
    [
      { githubOidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/example.com' },
      /githubOidcProviderArn/,
    ],
    [{ bootstrapQualifier: 'Not-One' }, /bootstrapQualifier/],
  ])('refuses %j with a clear message', (context, message) => {
    expect(() => synth(context)).toThrow(StageConfigError);
    expect(() => synth(context)).toThrow(message);
  });
});
