/**
 * What protects a stage's data and users (DESIGN.md section 9): backups and
 * versioned history, asserted on the synthesized templates of dev and prod.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildApp, type StackPart } from './parley-app';
import {
  DEV_BACKUP_RETENTION_IN_DAYS,
  PRODUCTION_BACKUP_RETENTION_IN_DAYS,
  StageConfigError,
} from './stage-config';
import { BUCKETS, COMMIT_NONCURRENT_VERSION_LIFETIME_IN_DAYS } from './topology';

type Json = Record<string, unknown>;
type Resource = { Type: string; Properties: Json; DeletionPolicy?: string; [key: string]: unknown };

const PARTS: StackPart[] = ['auth', 'data', 'realtime', 'http', 'web', 'webContent'];

/** Bundling skipped, cdk-nag on, no account or region. */
function synth(stage: string, context: Json = {}) {
  const built = buildApp({ stage, context, skipBundling: true, env: {} });
  const templates = Object.fromEntries(
    PARTS.map((part) => [part, Template.fromStack(built.stacks[part])]),
  ) as Record<StackPart, Template>;
  return { ...built, templates };
}

const COPY_VAULT_ARN = 'arn:aws:backup:eu-central-1:210987654321:backup-vault:parley-copies';
const RESTORED_TABLE = 'parley-prod-restored-2026-12-05';

const dev = synth('dev');
const prod = synth('prod');
const restored = synth('prod', { tableName: RESTORED_TABLE, backupCopyVaultArn: COPY_VAULT_ARN });
const STAGES = { dev, prod, restored } as const;

function resources(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

function only<T>(record: Record<string, T>): [string, T] {
  const entries = Object.entries(record);
  expect(entries).toHaveLength(1);
  return entries[0] as [string, T];
}

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

describe('cdk-nag AwsSolutions', () => {
  it.each(
    (Object.keys(STAGES) as Array<keyof typeof STAGES>).flatMap((stage) =>
      PARTS.map((part) => [stage, part] as const),
    ),
  )('%s %s stack has no unacknowledged error or warning', (stage, part) => {
    const report = new AwsSolutionsChecks().validateScope(STAGES[stage].stacks[part]);
    const findings = report.violations.map(
      (violation) =>
        `${violation.severity} ${violation.ruleName}: ${violation.violatingResources[0]?.constructPath}`,
    );
    expect(findings).toEqual([]);
  });
});
