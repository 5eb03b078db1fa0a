import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PUSH_CONTACT, StageConfigError, stageConfig } from './stage-config';

describe('stage names', () => {
  it.each(['dev', 'alice', 'pr-42', 'prod', 'prod-eu', 'a'])('accepts %s', (stage) => {
    expect(() => stageConfig(stage)).not.toThrow();
  });

  it.each(['Dev', 'dev_1', '-dev', 'dev-', '1dev', '', 'a'.repeat(25), 'dev.eu'])('refuses %j', (stage) => {
    expect(() => stageConfig(stage)).toThrow(StageConfigError);
  });

  it('keeps the local stack its own stage name', () => {
    expect(() => stageConfig('local')).toThrow(/reserved for the local stack/);
  });
});

describe('production-like stages', () => {
  it.each(['prod', 'production', 'prod-eu'])('treats %s as production', (stage) => {
    expect(stageConfig(stage).productionLike).toBe(true);
  });

  it.each(['dev', 'producer', 'preprod', 'staging'])('treats %s as non-production', (stage) => {
    expect(stageConfig(stage).productionLike).toBe(false);
  });

  it('lets context make any stage production-like, as the CLI passes it (a string)', () => {
    expect(stageConfig('staging', { productionLike: 'true' }).productionLike).toBe(true);
    expect(stageConfig('staging', { productionLike: true }).productionLike).toBe(true);
  });

  it('does not let context make a prod stage disposable', () => {
    expect(stageConfig('prod', { productionLike: 'false' }).productionLike).toBe(true);
  });

  it('refuses a productionLike value that is not a boolean', () => {
    expect(() => stageConfig('dev', { productionLike: 'yes' })).toThrow(StageConfigError);
  });
});

describe('web origins', () => {
  it('allows the local web client on non-production stages', () => {
    expect(stageConfig('dev').webOrigins).toEqual(['http://localhost:3000', 'http://127.0.0.1:3000']);
  });

  it('allows no origin on production-like stages until one is configured', () => {
    expect(stageConfig('prod').webOrigins).toEqual([]);
  });

  it('reads a comma-separated list from context', () => {
    const config = stageConfig('prod', { webOrigins: 'https://chat.example.com, https://beta.example.com' });
    expect(config.webOrigins).toEqual(['https://chat.example.com', 'https://beta.example.com']);
  });

  it.each(['https://chat.example.com/', 'https://*.example.com', 'chat.example.com', 'ftp://x.example.com'])(
    'refuses %s, which no browser sends as an Origin',
    (origin) => {
      expect(() => stageConfig('prod', { webOrigins: origin })).toThrow(StageConfigError);
    },
  );
});

describe('log retention', () => {
  it('keeps dev logs a week and production logs a month', () => {
    expect(stageConfig('dev').logRetentionDays).toBe(RetentionDays.ONE_WEEK);
    expect(stageConfig('prod').logRetentionDays).toBe(RetentionDays.ONE_MONTH);
  });

  it('takes a CloudWatch retention period from context', () => {
    expect(stageConfig('dev', { logRetentionDays: '14' }).logRetentionDays).toBe(RetentionDays.TWO_WEEKS);
  });

  it.each(['10', 'forever', String(RetentionDays.INFINITE)])('refuses %s days', (days) => {
    expect(() => stageConfig('dev', { logRetentionDays: days })).toThrow(StageConfigError);
  });
});

describe('API Gateway account logging role', () => {
  it('is managed by default and can be left to the account', () => {
    expect(stageConfig('dev').apiGatewayAccountRole).toBe(true);
    expect(stageConfig('dev', { apiGatewayAccountRole: 'false' }).apiGatewayAccountRole).toBe(false);
  });
});

describe('the contact Web Push requests name', () => {
  it('is a placeholder in a reserved domain until the stage names one', () => {
    expect(stageConfig('dev').pushContact).toBe(DEFAULT_PUSH_CONTACT);
    expect(DEFAULT_PUSH_CONTACT).toMatch(/^mailto:.+@.+\.invalid$/);
  });

  it('takes a mailto: or https: URL from context', () => {
    expect(stageConfig('prod', { pushContact: 'mailto:ops@example.com' }).pushContact).toBe(
      'mailto:ops@example.com',
    );
    expect(stageConfig('dev', { pushContact: 'https://example.com/contact' }).pushContact).toBe(
      'https://example.com/contact',
    );
  });

  it.each(['ops@example.com', 'http://example.com', 'mailto:', ''])('refuses %j', (value) => {
    expect(() => stageConfig('dev', { pushContact: value })).toThrow(
      /pushContact must be a mailto: or https: URL/,
    );
  });
});

describe('trace sampling', () => {
  it('traces every dev request and a twentieth of production ones beyond the first each second', () => {
    expect(stageConfig('dev').traceSampling).toBe(1);
    expect(stageConfig('prod').traceSampling).toBe(0.05);
    expect(stageConfig('staging', { productionLike: true }).traceSampling).toBe(0.05);
  });

  it('takes a fraction from context, as the CLI passes it (a string)', () => {
    expect(stageConfig('prod', { traceSampling: '0.2' }).traceSampling).toBe(0.2);
    expect(stageConfig('dev', { traceSampling: 0 }).traceSampling).toBe(0);
  });

  it.each(['1.5', '-0.1', 'half', ''])('refuses %j', (value) => {
    expect(() => stageConfig('dev', { traceSampling: value })).toThrow(/traceSampling must be a fraction/);
  });
});
