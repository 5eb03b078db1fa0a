/**
 * What protects a stage's data and users (DESIGN.md section 9): backups and
 * versioned history, web ACLs, email through SES and custom domains, asserted
 * on the synthesized templates of dev and prod.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  type Json,
  only,
  type Resource,
  resources,
  STACK_PARTS,
  synthStage,
} from '../test/support/templates';
import {
  EMAIL_SENDING_CALLS_PER_IP_PER_WINDOW,
  RATE_WINDOW_IN_SECONDS,
  SIGN_IN_CALLS_PER_IP_PER_WINDOW,
  SITE_REQUESTS_PER_IP_PER_WINDOW,
} from './constructs/web-acl';
import { buildApp } from './parley-app';
import { AuthStack, EMAIL_SENDER_NAME, VERIFICATION_EMAIL_BODY } from './stacks/auth-stack';
import { EDGE_REGION } from './stacks/edge-stack';
import {
  DEV_BACKUP_RETENTION_IN_DAYS,
  PRODUCTION_BACKUP_RETENTION_IN_DAYS,
  StageConfigError,
  stageConfig,
} from './stage-config';
import { BUCKETS, COMMIT_NONCURRENT_VERSION_LIFETIME_IN_DAYS } from './topology';

/** Bundling skipped, cdk-nag on, no account or region unless given. */
const synth = synthStage;

const COPY_VAULT_ARN = 'arn:aws:backup:eu-central-1:210987654321:backup-vault:parley-copies';
const RESTORED_TABLE = 'parley-prod-restored-2026-12-05';

/** A sender for production-like stages, which must have one. */
const PROD_EMAIL = {
  sesFromAddress: 'no-reply@example.com',
  sesIdentity: 'example.com',
  sesConfigurationSet: 'parley-prod',
} as const;

const dev = synth('dev');
const prod = synth('prod', PROD_EMAIL);
const restored = synth('prod', {
  ...PROD_EMAIL,
  tableName: RESTORED_TABLE,
  backupCopyVaultArn: COPY_VAULT_ARN,
});
const DOMAIN = 'chat.example.com';
const ZONE = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' } as const;
/**
 * A stage with a region other than us-east-1: CloudFront's web ACL and certificate go to a stack of their own
 * there. With a domain in a Route 53 zone.
 */
const elsewhere = synth(
  'prod',
  { domain: DOMAIN, ...ZONE },
  { account: '123456789012', region: 'eu-west-1' },
);
/** A domain without a zone, environment-agnostic: the operator adds the records. */
const prodDomain = synth('prod', { domain: DOMAIN });
const STAGES = { dev, prod, restored, elsewhere, prodDomain } as const;

describe('backups: the table', () => {
  it.each([
    ['dev', DEV_BACKUP_RETENTION_IN_DAYS],
    ['prod', PRODUCTION_BACKUP_RETENTION_IN_DAYS],
  ] as const)('%s backs it up daily into its own vault, kept %s days', (stage, days) => {
    const template = STAGES[stage].templates.data;
    const [vaultId] = only(resources(template, 'AWS::Backup::BackupVault'));
    const [, plan] = only(resources(template, 'AWS::Backup::BackupPlan'));
    expect(plan.Properties.BackupPlan).toMatchObject({
      BackupPlanRule: [
        {
          ScheduleExpression: 'cron(0 5 * * ? *)',
          Lifecycle: { DeleteAfterDays: days },
          TargetBackupVault: { 'Fn::GetAtt': [vaultId, 'BackupVaultName'] },
        },
      ],
    });
    expect(JSON.stringify(plan.Properties)).not.toContain('CopyActions');
  });

  it('selects the table the stack made', () => {
    const [tableId] = only(resources(prod.templates.data, 'AWS::DynamoDB::Table'));
    const [, selection] = only(resources(prod.templates.data, 'AWS::Backup::BackupSelection'));
    expect(selection.Properties.BackupSelection).toMatchObject({
      Resources: [{ 'Fn::GetAtt': [tableId, 'Arn'] }],
    });
  });

  it('encrypts the vault with a rotated key of its own; prod keeps both on stack deletion, dev does not', () => {
    for (const [stage, policy] of [
      [prod, 'Retain'],
      [dev, 'Delete'],
    ] as const) {
      const [keyId, key] = only(resources(stage.templates.data, 'AWS::KMS::Key'));
      const [, vault] = only(resources(stage.templates.data, 'AWS::Backup::BackupVault'));
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(vault.Properties.EncryptionKeyArn).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect([key.DeletionPolicy, vault.DeletionPolicy]).toEqual([policy, policy]);
    }
    expect(only(resources(prod.templates.data, 'AWS::Backup::BackupVault'))[1].Properties).toMatchObject({
      BackupVaultName: 'parley-prod-backups',
    });
  });

  it('copies each backup to the vault -c backupCopyVaultArn names, kept as long', () => {
    const [, plan] = only(resources(restored.templates.data, 'AWS::Backup::BackupPlan'));
    expect(plan.Properties.BackupPlan).toMatchObject({
      BackupPlanRule: [
        {
          Lifecycle: { DeleteAfterDays: PRODUCTION_BACKUP_RETENTION_IN_DAYS },
          CopyActions: [
            {
              DestinationBackupVaultArn: COPY_VAULT_ARN,
              Lifecycle: { DeleteAfterDays: PRODUCTION_BACKUP_RETENTION_IN_DAYS },
            },
          ],
        },
      ],
    });
  });

  it.each([
    ['backupCopyVaultArn', 'parley-copies'],
    ['backupCopyVaultArn', 'arn:aws:s3:::parley-copies'],
    ['tableName', 'no'],
    ['tableName', 'parley prod'],
  ])('refuses -c %s=%j', (key, value) => {
    expect(() =>
      buildApp({ stage: 'prod', context: { [key]: value }, skipBundling: true, nag: false }),
    ).toThrow(StageConfigError);
  });
});

describe('backups: switching to a restored table (-c tableName=…)', () => {
  const template = restored.templates;
  const tableArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':dynamodb:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:table/${RESTORED_TABLE}`,
      ],
    ],
  };

  it('gives every function that binds the table its name, and grants on it and its indexes', () => {
    for (const part of ['realtime', 'http'] as const) {
      const functions = Object.values(resources(template[part], 'AWS::Lambda::Function')).filter(
        (fn) => (fn.Properties.Environment as { Variables?: Json } | undefined)?.Variables?.TABLE_NAME,
      );
      expect(functions.length, part).toBeGreaterThan(0);
      for (const fn of functions) {
        expect((fn.Properties.Environment as { Variables: Json }).Variables.TABLE_NAME).toBe(RESTORED_TABLE);
      }
      const text = JSON.stringify(template[part].toJSON());
      expect(text).toContain(`:table/${RESTORED_TABLE}/index/`);
      // Nothing of the code stacks points at the stack's own table any more.
      expect(text).not.toMatch(/MainTable/);
    }
  });

  it('backs up the restored table and outputs its name', () => {
    const [, selection] = only(resources(template.data, 'AWS::Backup::BackupSelection'));
    expect(selection.Properties.BackupSelection).toMatchObject({ Resources: [tableArn] });
    template.data.hasOutput('TableName', { Value: RESTORED_TABLE });
  });

  it("keeps the stack's own table, retained, and its exports, which the code stacks import until they switch", () => {
    template.data.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    const exported = (template: Template) =>
      Object.keys(template.toJSON().Outputs as Json).filter((key) => key.includes('MainTable'));
    expect(exported(template.data).sort()).toEqual(exported(prod.templates.data).sort());
    expect(exported(template.data)).toHaveLength(2);
  });
});

describe('versioning: the history bucket', () => {
  const [, bucket] = only(resources(prod.templates.data, 'AWS::S3::Bucket'));
  const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Json[] }).Rules;

  it('is versioned, bucket-wide', () => {
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('keeps an old commit 30 days and an old version under every other prefix one day', () => {
    const noncurrent = Object.fromEntries(
      rules
        .filter((rule) => rule.NoncurrentVersionExpiration)
        .map((rule) => [rule.Prefix, (rule.NoncurrentVersionExpiration as Json).NoncurrentDays]),
    );
    expect(noncurrent).toEqual({
      'commits/': COMMIT_NONCURRENT_VERSION_LIFETIME_IN_DAYS,
      'welcomes/': 1,
      'attachments/': 1,
      'avatars/': 1,
      'history/': 1,
      'backups/': 1,
    });
    // Every prefix a function writes has a rule: one left out would keep its old versions for good.
    expect(Object.keys(noncurrent).sort()).toEqual([...BUCKETS.blobs.prefixes].sort());
  });

  it('removes delete markers once nothing is left under them', () => {
    expect(rules).toContainEqual(
      expect.objectContaining({ ExpiredObjectDeleteMarker: true, Status: 'Enabled' }),
    );
  });
});

describe('WAF: the site', () => {
  function siteAcl(template: Template): [string, Resource] {
    return only(resources(template, 'AWS::WAFv2::WebACL'));
  }

  it("guards the distribution with AWS's IP reputation, known bad inputs and common rules, and a rate per address", () => {
    const [aclId, acl] = siteAcl(prod.templates.web);
    expect(acl.Properties).toMatchObject({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    const rules = acl.Properties.Rules as Json[];
    expect(
      rules
        .map((rule) => (rule.Statement as { ManagedRuleGroupStatement?: Json }).ManagedRuleGroupStatement)
        .filter(Boolean),
    ).toEqual([
      { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' },
      { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' },
      { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' },
    ]);
    expect(rules).toContainEqual(
      expect.objectContaining({
        Action: { Block: {} },
        Statement: {
          RateBasedStatement: {
            Limit: SITE_REQUESTS_PER_IP_PER_WINDOW,
            EvaluationWindowSec: RATE_WINDOW_IN_SECONDS,
            AggregateKeyType: 'IP',
          },
        },
      }),
    );
    expect(new Set(rules.map((rule) => rule.Priority)).size).toBe(rules.length);
    const [, distribution] = only(resources(prod.templates.web, 'AWS::CloudFront::Distribution'));
    expect((distribution.Properties.DistributionConfig as Json).WebACLId).toEqual({
      'Fn::GetAtt': [aclId, 'Arn'],
    });
  });

  it('puts it in a us-east-1 stack of its own when the stage is in another region, read across regions', () => {
    expect(elsewhere.stacks.edge?.region).toBe(EDGE_REGION);
    const [, acl] = siteAcl(elsewhere.edge as Template);
    expect(acl.Properties.Scope).toBe('CLOUDFRONT');
    elsewhere.templates.web.resourceCountIs('AWS::WAFv2::WebACL', 0);
    const [, distribution] = only(resources(elsewhere.templates.web, 'AWS::CloudFront::Distribution'));
    const webAclId = JSON.stringify((distribution.Properties.DistributionConfig as Json).WebACLId);
    expect(webAclId).toMatch(/"Fn::GetAtt":\["ExportsReader[0-9A-F]+","\/cdk\/exports\//);
    expect(dev.stacks.edge).toBeUndefined();
    expect(prod.stacks.edge).toBeUndefined();
  });
});

describe('WAF: the user pool', () => {
  const [aclId, acl] = only(resources(prod.templates.auth, 'AWS::WAFv2::WebACL'));
  const rules = acl.Properties.Rules as Json[];
  const rule = (name: string) => rules.find((candidate) => candidate.Name === name) as Json;
  const targetsOf = (statement: Json): string[] => {
    const scope = (statement.RateBasedStatement as Json).ScopeDownStatement as Json;
    const matches = scope.OrStatement ? ((scope.OrStatement as Json).Statements as Json[]) : [scope];
    return matches.map((match) => {
      const byteMatch = match.ByteMatchStatement as Json;
      expect(byteMatch).toMatchObject({
        FieldToMatch: { SingleHeader: { Name: 'x-amz-target' } },
        PositionalConstraint: 'EXACTLY',
      });
      return byteMatch.SearchString as string;
    });
  };

  it('is a regional ACL associated with the pool', () => {
    expect(acl.Properties.Scope).toBe('REGIONAL');
    const [poolId] = only(resources(prod.templates.auth, 'AWS::Cognito::UserPool'));
    const [, association] = only(resources(prod.templates.auth, 'AWS::WAFv2::WebACLAssociation'));
    expect(association.Properties).toEqual({
      ResourceArn: { 'Fn::GetAtt': [poolId, 'Arn'] },
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
    });
    dev.templates.auth.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });

  it('limits sign-ups and the other calls that send email, per address', () => {
    const signUp = rule('EmailSendingCallsPerIp');
    expect(signUp.Action).toEqual({ Block: {} });
    expect(signUp.Statement).toMatchObject({
      RateBasedStatement: {
        Limit: EMAIL_SENDING_CALLS_PER_IP_PER_WINDOW,
        EvaluationWindowSec: RATE_WINDOW_IN_SECONDS,
        AggregateKeyType: 'IP',
      },
    });
    expect(targetsOf(signUp.Statement as Json)).toEqual([
      'AWSCognitoIdentityProviderService.SignUp',
      'AWSCognitoIdentityProviderService.ResendConfirmationCode',
      'AWSCognitoIdentityProviderService.ForgotPassword',
    ]);
  });

  it('limits sign-in calls per address', () => {
    const signIn = rule('SignInCallsPerIp');
    expect(signIn.Action).toEqual({ Block: {} });
    expect(signIn.Statement).toMatchObject({
      RateBasedStatement: { Limit: SIGN_IN_CALLS_PER_IP_PER_WINDOW, AggregateKeyType: 'IP' },
    });
    expect(targetsOf(signIn.Statement as Json)).toEqual([
      'AWSCognitoIdentityProviderService.InitiateAuth',
      'AWSCognitoIdentityProviderService.RespondToAuthChallenge',
    ]);
  });

  it('adds the managed rules that read no body: a strong password holds the symbols body rules refuse', () => {
    const managed = rules
      .map(
        (candidate) =>
          (candidate.Statement as { ManagedRuleGroupStatement?: Json }).ManagedRuleGroupStatement,
      )
      .filter(Boolean)
      .map((group) => (group as Json).Name);
    expect(managed).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
  });
});

describe('email: Cognito through SES', () => {
  function pool(template: Template): Resource {
    return only(resources(template, 'AWS::Cognito::UserPool'))[1];
  }

  it('sends through SES in prod, from the configured address, identity and configuration set', () => {
    expect(pool(prod.templates.auth).Properties.EmailConfiguration).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      From: `${EMAIL_SENDER_NAME} <no-reply@example.com>`,
      ConfigurationSet: 'parley-prod',
      SourceArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':ses:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':identity/example.com',
          ],
        ],
      },
    });
  });

  it("keeps Cognito's sender in dev", () => {
    expect(pool(dev.templates.auth).Properties.EmailConfiguration).toEqual({
      EmailSendingAccount: 'COGNITO_DEFAULT',
    });
  });

  it('sends the code in a short branded email', () => {
    for (const stage of [dev, prod]) {
      expect(pool(stage.templates.auth).Properties.VerificationMessageTemplate).toMatchObject({
        DefaultEmailOption: 'CONFIRM_WITH_CODE',
        EmailSubject: 'Your Parley code',
        EmailMessage: expect.stringContaining('Your Parley code is <strong>{####}</strong>'),
      });
    }
    expect(VERIFICATION_EMAIL_BODY).not.toMatch(/<a\b|<img\b|style=/);
  });

  it('names a verified address as its own SES identity', () => {
    const config = stageConfig('dev', {
      sesFromAddress: 'hello@example.org',
      sesIdentity: 'hello@example.org',
    });
    const stack = new AuthStack(new App(), 'Auth', { stage: 'dev', config });
    const [, userPool] = only(resources(Template.fromStack(stack), 'AWS::Cognito::UserPool'));
    const email = userPool.Properties.EmailConfiguration as Json;
    expect(email.From).toBe(`${EMAIL_SENDER_NAME} <hello@example.org>`);
    expect(JSON.stringify(email.SourceArn)).toMatch(/:identity\/hello@example\.org"/);
  });

  it('stops a prod synthesis with no sender, naming the keys', () => {
    expect(() => buildApp({ stage: 'prod', skipBundling: true, nag: false })).toThrow(StageConfigError);
    expect(() => buildApp({ stage: 'prod', skipBundling: true, nag: false })).toThrow(/sesFromAddress/);
  });
});

describe('custom domains', () => {
  const DOMAIN_TYPES = [
    'AWS::CertificateManager::Certificate',
    'AWS::ApiGatewayV2::DomainName',
    'AWS::ApiGatewayV2::ApiMapping',
    'AWS::Route53::RecordSet',
  ];

  it('are made only when -c domain is set', () => {
    for (const stage of [dev, prod]) {
      for (const part of STACK_PARTS) {
        for (const type of DOMAIN_TYPES) stage.templates[part].resourceCountIs(type, 0);
      }
      const [, distribution] = only(resources(stage.templates.web, 'AWS::CloudFront::Distribution'));
      expect((distribution.Properties.DistributionConfig as Json).Aliases).toBeUndefined();
    }
  });

  it('serves the site at the domain with a DNS-validated certificate and TLS 1.2 at least', () => {
    const template = prodDomain.templates.web;
    const [certificateId, certificate] = only(resources(template, 'AWS::CertificateManager::Certificate'));
    expect(certificate.Properties).toMatchObject({ DomainName: DOMAIN, ValidationMethod: 'DNS' });
    // No zone: the operator adds the validation record, and the records below.
    expect(certificate.Properties.DomainValidationOptions).toBeUndefined();
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    const [distributionId, distribution] = only(resources(template, 'AWS::CloudFront::Distribution'));
    expect(distribution.Properties.DistributionConfig).toMatchObject({
      Aliases: [DOMAIN],
      ViewerCertificate: {
        AcmCertificateArn: { Ref: certificateId },
        MinimumProtocolVersion: 'TLSv1.2_2021',
        SslSupportMethod: 'sni-only',
      },
    });
    template.hasOutput('WebUrl', { Value: `https://${DOMAIN}` });
    template.hasOutput('SiteDnsTarget', { Value: { 'Fn::GetAtt': [distributionId, 'DomainName'] } });
  });

  it.each([
    ['http', `api.${DOMAIN}`, 'HttpApi', 'HttpApiUrl', `https://api.${DOMAIN}`, 'HttpApiDnsTarget'],
    ['realtime', `ws.${DOMAIN}`, 'WebSocketApi', 'WebSocketUrl', `wss://ws.${DOMAIN}`, 'WebSocketDnsTarget'],
  ] as const)(
    'serves the %s API at %s, a regional domain mapped to its stage',
    (part, name, apiPrefix, urlOutput, url, dnsOutput) => {
      const template = prodDomain.templates[part];
      const [certificateId, certificate] = only(resources(template, 'AWS::CertificateManager::Certificate'));
      expect(certificate.Properties).toMatchObject({ DomainName: name, ValidationMethod: 'DNS' });
      const [domainId, domain] = only(resources(template, 'AWS::ApiGatewayV2::DomainName'));
      expect(domain.Properties).toMatchObject({
        DomainName: name,
        DomainNameConfigurations: [{ CertificateArn: { Ref: certificateId }, EndpointType: 'REGIONAL' }],
      });
      const [, mapping] = only(resources(template, 'AWS::ApiGatewayV2::ApiMapping'));
      expect(mapping.Properties.DomainName).toEqual({ Ref: domainId });
      expect(JSON.stringify(mapping.Properties.ApiId)).toMatch(new RegExp(`"Ref":"${apiPrefix}[0-9A-F]{8}"`));
      expect(mapping.Properties.ApiMappingKey).toBeUndefined();
      expect(mapping.Properties.Stage).toEqual(part === 'http' ? '$default' : 'prod');
      template.hasOutput(urlOutput, { Value: url });
      template.hasOutput(dnsOutput, { Value: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] } });
    },
  );

  it("names the custom origins in config.json, CORS and the site's Content-Security-Policy", () => {
    expect(prodDomain.stacks.webContent.webConfig).toMatchObject({
      httpApiUrl: `https://api.${DOMAIN}`,
      webSocketUrl: `wss://ws.${DOMAIN}`,
    });
    const [, api] = only(resources(prodDomain.templates.http, 'AWS::ApiGatewayV2::Api'));
    expect((api.Properties.CorsConfiguration as Json).AllowOrigins).toEqual([`https://${DOMAIN}`]);
    const [, bucket] = only(resources(prodDomain.templates.data, 'AWS::S3::Bucket'));
    const [rule] = (bucket.Properties.CorsConfiguration as { CorsRules: Json[] }).CorsRules as [Json];
    expect(rule.AllowedOrigins).toEqual([`https://${DOMAIN}`]);
    const [, policy] = only(resources(prodDomain.templates.web, 'AWS::CloudFront::ResponseHeadersPolicy'));
    expect(JSON.stringify(policy.Properties)).toMatch(
      new RegExp(`connect-src [^;]*https://api\\.${DOMAIN.replace(/\./g, '\\.')} wss://ws\\.`),
    );
  });

  it('with a zone, validates every certificate and points every name there, the site certificate from us-east-1', () => {
    const edge = elsewhere.edge as Template;
    const [, certificate] = only(resources(edge, 'AWS::CertificateManager::Certificate'));
    expect(certificate.Properties).toMatchObject({
      DomainName: DOMAIN,
      DomainValidationOptions: [{ DomainName: DOMAIN, HostedZoneId: ZONE.hostedZoneId }],
    });
    elsewhere.templates.web.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    const [, distribution] = only(resources(elsewhere.templates.web, 'AWS::CloudFront::Distribution'));
    expect(
      JSON.stringify(
        ((distribution.Properties.DistributionConfig as Json).ViewerCertificate as Json).AcmCertificateArn,
      ),
    ).toMatch(/ExportsReader/);
    for (const [part, name] of [
      ['web', DOMAIN],
      ['http', `api.${DOMAIN}`],
      ['realtime', `ws.${DOMAIN}`],
    ] as const) {
      const records = Object.values(resources(elsewhere.templates[part], 'AWS::Route53::RecordSet'));
      expect(
        records
          .map((record) => [record.Properties.Type, record.Properties.Name, record.Properties.HostedZoneId])
          .sort(),
      ).toEqual([
        ['A', `${name}.`, ZONE.hostedZoneId],
        ['AAAA', `${name}.`, ZONE.hostedZoneId],
      ]);
      for (const record of records) expect(record.Properties.AliasTarget).toBeDefined();
    }
    for (const part of ['http', 'realtime'] as const) {
      const [, regional] = only(resources(elsewhere.templates[part], 'AWS::CertificateManager::Certificate'));
      expect(regional.Properties.DomainValidationOptions).toEqual([
        expect.objectContaining({ HostedZoneId: ZONE.hostedZoneId }),
      ]);
    }
  });

  it.each([
    [{ domain: 'https://chat.example.com' }],
    [{ domain: DOMAIN, hostedZoneId: ZONE.hostedZoneId }],
    [{ domain: DOMAIN, hostedZoneName: ZONE.hostedZoneName }],
    [{ domain: DOMAIN, hostedZoneId: 'not-a-zone', hostedZoneName: ZONE.hostedZoneName }],
    [{ domain: DOMAIN, hostedZoneId: ZONE.hostedZoneId, hostedZoneName: 'example.org' }],
    [{ domain: 'notexample.com', ...ZONE }],
    [ZONE],
  ])('refuses %j', (context) => {
    expect(() => buildApp({ stage: 'dev', context, skipBundling: true, nag: false })).toThrow(
      StageConfigError,
    );
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each(
    (Object.keys(STAGES) as Array<keyof typeof STAGES>).flatMap((stage) =>
      [...STACK_PARTS, 'edge' as const]
        .filter((part) => STAGES[stage].stacks[part])
        .map((part) => [stage, part] as const),
    ),
  )('%s %s stack has no unacknowledged error or warning', (stage, part) => {
    const report = new AwsSolutionsChecks().validateScope(STAGES[stage].stacks[part] as Stack);
    const findings = report.violations.map(
      (violation) =>
        `${violation.severity} ${violation.ruleName}: ${violation.violatingResources[0]?.constructPath}`,
    );
    expect(findings).toEqual([]);
  });
});
