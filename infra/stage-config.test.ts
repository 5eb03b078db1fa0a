import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MONTHLY_BUDGET_USD,
  DEFAULT_PUSH_CONTACT,
  StageConfigError,
  stageConfig,
} from './stage-config';

/** An email sender, which production-like stages must have (see 'email' below). */
const SENDER = { sesFromAddress: 'no-reply@example.com' } as const;

describe('stage names', () => {
  it.each(['dev', 'alice', 'pr-42', 'prod', 'prod-eu', 'a'])('accepts %s', (stage) => {
    expect(() => stageConfig(stage, SENDER)).not.toThrow();
  });

  it.each(['Dev', 'dev_1', '-dev', 'dev-', '1dev', '', 'a'.repeat(25), 'dev.eu'])('refuses %j', (stage) => {
    expect(() => stageConfig(stage, SENDER)).toThrow(StageConfigError);
  });

  it('keeps the local stack its own stage name', () => {
    expect(() => stageConfig('local')).toThrow(/reserved for the local stack/);
  });
});

describe('production-like stages', () => {
  it.each(['prod', 'production', 'prod-eu'])('treats %s as production', (stage) => {
    expect(stageConfig(stage, SENDER).productionLike).toBe(true);
  });

  it.each(['dev', 'producer', 'preprod', 'staging'])('treats %s as non-production', (stage) => {
    expect(stageConfig(stage, SENDER).productionLike).toBe(false);
  });

  it('lets context make any stage production-like, as the CLI passes it (a string)', () => {
    expect(stageConfig('staging', { ...SENDER, productionLike: 'true' }).productionLike).toBe(true);
    expect(stageConfig('staging', { ...SENDER, productionLike: true }).productionLike).toBe(true);
  });

  it('does not let context make a prod stage disposable', () => {
    expect(stageConfig('prod', { ...SENDER, productionLike: 'false' }).productionLike).toBe(true);
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
    expect(stageConfig('prod', SENDER).webOrigins).toEqual([]);
  });

  it('reads a comma-separated list from context', () => {
    const config = stageConfig('prod', {
      ...SENDER,
      webOrigins: 'https://chat.example.com, https://beta.example.com',
    });
    expect(config.webOrigins).toEqual(['https://chat.example.com', 'https://beta.example.com']);
  });

  it.each(['https://chat.example.com/', 'https://*.example.com', 'chat.example.com', 'ftp://x.example.com'])(
    'refuses %s, which no browser sends as an Origin',
    (origin) => {
      expect(() => stageConfig('prod', { ...SENDER, webOrigins: origin })).toThrow(StageConfigError);
    },
  );
});

describe('log retention', () => {
  it('keeps dev logs a week and production logs a month', () => {
    expect(stageConfig('dev').logRetentionDays).toBe(RetentionDays.ONE_WEEK);
    expect(stageConfig('prod', SENDER).logRetentionDays).toBe(RetentionDays.ONE_MONTH);
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
    expect(stageConfig('prod', { ...SENDER, pushContact: 'mailto:ops@example.com' }).pushContact).toBe(
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

describe('who the alarms email', () => {
  it('is no one until the stage names someone', () => {
    expect(stageConfig('prod', { domain: 'chat.example.com' }).alarmEmails).toEqual([]);
  });

  it('takes one address or a comma-separated list from context, once each', () => {
    expect(stageConfig('dev', { alarmEmail: 'ops@example.com' }).alarmEmails).toEqual(['ops@example.com']);
    expect(
      stageConfig('dev', { alarmEmail: 'ops@example.com, oncall@example.org,ops@example.com' }).alarmEmails,
    ).toEqual(['ops@example.com', 'oncall@example.org']);
  });

  it.each([
    'ops',
    'ops@example',
    'ops@@example.com',
    'ops@example.com;oncall@example.com',
    'o ps@example.com',
  ])('refuses %j', (value) => {
    expect(() => stageConfig('dev', { alarmEmail: value })).toThrow(StageConfigError);
    expect(() => stageConfig('dev', { alarmEmail: value })).toThrow(
      /alarmEmail holds '.+', which is not an email/,
    );
  });
});

describe('the monthly budget', () => {
  it('has a default', () => {
    expect(stageConfig('dev').monthlyBudgetUsd).toBe(DEFAULT_MONTHLY_BUDGET_USD);
  });

  it('takes a dollar amount from context', () => {
    expect(
      stageConfig('prod', { domain: 'chat.example.com', monthlyBudgetUsd: '250' }).monthlyBudgetUsd,
    ).toBe(250);
    expect(
      stageConfig('prod', { domain: 'chat.example.com', monthlyBudgetUsd: '0.1' }).monthlyBudgetUsd,
    ).toBe(0.1);
    expect(stageConfig('prod', { domain: 'chat.example.com', monthlyBudgetUsd: 12.5 }).monthlyBudgetUsd).toBe(
      12.5,
    );
  });

  it.each(['0', '-5', 'ten', '', '1e3', '12.345'])('refuses %j', (value) => {
    expect(() => stageConfig('dev', { monthlyBudgetUsd: value })).toThrow(StageConfigError);
    expect(() => stageConfig('dev', { monthlyBudgetUsd: value })).toThrow(
      /monthlyBudgetUsd must be a positive amount/,
    );
  });
});

describe('email', () => {
  it('stops a production-like stage with no sender, naming the keys that give it one', () => {
    expect(() => stageConfig('prod')).toThrow(StageConfigError);
    expect(() => stageConfig('staging', { productionLike: 'true' })).toThrow(
      /-c domain=chat\.example\.com .*-c sesFromAddress=/,
    );
  });

  it('sends as no-reply@ the domain in a production-like stage with a domain', () => {
    expect(stageConfig('prod', { domain: 'chat.example.com' }).email).toEqual({
      fromAddress: 'no-reply@chat.example.com',
      identity: 'chat.example.com',
    });
  });

  it('sends from sesFromAddress, verified by its domain unless sesIdentity names the address itself', () => {
    expect(
      stageConfig('prod', { domain: 'chat.example.com', sesFromAddress: 'hello@example.org' }).email,
    ).toEqual({ fromAddress: 'hello@example.org', identity: 'example.org' });
    expect(
      stageConfig('dev', {
        sesFromAddress: 'hello@example.org',
        sesIdentity: 'hello@example.org',
        sesConfigurationSet: 'parley-dev',
      }).email,
    ).toEqual({
      fromAddress: 'hello@example.org',
      identity: 'hello@example.org',
      configurationSet: 'parley-dev',
    });
  });

  it("keeps Cognito's sender in dev unless told, even with a domain (a sandboxed SES mails verified addresses only)", () => {
    expect(stageConfig('dev').email).toBeUndefined();
    expect(stageConfig('dev', { domain: 'dev.chat.example.com' }).email).toBeUndefined();
  });

  it.each([
    { sesFromAddress: 'no-reply' },
    { sesFromAddress: 'a@b@c' },
    { sesFromAddress: 'no-reply@example.com', sesIdentity: 'https://example.com' },
    { sesFromAddress: 'no-reply@mail.example.com', sesIdentity: 'example.com' },
    { sesFromAddress: 'no-reply@example.com', sesConfigurationSet: 'a set' },
    { sesIdentity: 'example.com' },
    { sesConfigurationSet: 'parley' },
    { domain: 'https://chat.example.com' },
    { domain: 'Chat.Example.com' },
    { domain: 'localhost' },
    { domain: 'chat.example.com/app' },
  ])('refuses %j', (context) => {
    expect(() => stageConfig('dev', context)).toThrow(StageConfigError);
  });
});

describe('trace sampling', () => {
  it('traces every dev request and a twentieth of production ones beyond the first each second', () => {
    expect(stageConfig('dev').traceSampling).toBe(1);
    expect(stageConfig('prod', { domain: 'chat.example.com' }).traceSampling).toBe(0.05);
    expect(stageConfig('staging', { productionLike: true, domain: 'chat.example.com' }).traceSampling).toBe(
      0.05,
    );
  });

  it('takes a fraction from context, as the CLI passes it (a string)', () => {
    expect(stageConfig('prod', { domain: 'chat.example.com', traceSampling: '0.2' }).traceSampling).toBe(0.2);
    expect(stageConfig('dev', { traceSampling: 0 }).traceSampling).toBe(0);
  });

  it.each(['1.5', '-0.1', 'half', ''])('refuses %j', (value) => {
    expect(() => stageConfig('dev', { traceSampling: value })).toThrow(/traceSampling must be a fraction/);
  });
});
