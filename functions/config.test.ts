import { describe, expect, it } from 'vitest';
import { ConfigError, Env, loadConfig } from './config';

const complete = {
  TABLE_NAME: 'parley-dev',
  FANOUT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/parley-fanout',
  PARLEY_STAGE: 'dev',
};

describe('loadConfig', () => {
  it('returns the requested values under their variable names', () => {
    const config = loadConfig([Env.TableName, Env.FanoutQueueUrl, Env.Stage], complete);

    expect(config).toEqual(complete);
  });

  it('reads only the keys it is asked for', () => {
    const config = loadConfig([Env.Stage], { PARLEY_STAGE: 'dev', TABLE_NAME: 'other' });

    expect(config).toEqual({ PARLEY_STAGE: 'dev' });
  });

  it('leaves an unset optional endpoint undefined', () => {
    const config = loadConfig([Env.DynamoDbEndpoint, Env.Stage], { PARLEY_STAGE: 'dev' });

    expect(config.DYNAMODB_ENDPOINT).toBeUndefined();
  });

  it('fails at start with the name of a missing variable', () => {
    const { TABLE_NAME: _missing, ...incomplete } = complete;

    expect(() => loadConfig([Env.TableName, Env.Stage], incomplete)).toThrow(ConfigError);
    expect(() => loadConfig([Env.TableName, Env.Stage], incomplete)).toThrow(
      'Environment variable TABLE_NAME is not set',
    );
  });

  it('fails at start with the name of a malformed URL', () => {
    const env = { ...complete, FANOUT_QUEUE_URL: 'parley-fanout' };

    expect(() => loadConfig([Env.FanoutQueueUrl], env)).toThrow(ConfigError);
    expect(() => loadConfig([Env.FanoutQueueUrl], env)).toThrow(
      'Environment variable FANOUT_QUEUE_URL is malformed',
    );
  });

  it('fails at start on an endpoint without http(s) scheme', () => {
    expect(() => loadConfig([Env.DynamoDbEndpoint], { DYNAMODB_ENDPOINT: 'localhost:4566' })).toThrow(
      'Environment variable DYNAMODB_ENDPOINT is malformed',
    );
    expect(loadConfig([Env.DynamoDbEndpoint], { DYNAMODB_ENDPOINT: 'http://127.0.0.1:4566' })).toEqual({
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:4566',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(() => loadConfig([Env.TableName], { TABLE_NAME: '' })).toThrow(
      'Environment variable TABLE_NAME is not set',
    );
    expect(loadConfig([Env.SqsEndpoint], { SQS_ENDPOINT: '' })).toEqual({ SQS_ENDPOINT: undefined });
  });

  it('rejects a malformed optional endpoint rather than ignoring it', () => {
    expect(() => loadConfig([Env.CognitoEndpoint], { COGNITO_ENDPOINT: 'localhost 9229' })).toThrow(
      'Environment variable COGNITO_ENDPOINT is malformed',
    );
  });
});
