import { CognitoAccountDirectory } from '../adapters/cognito/cognito-account-directory';
import { ConfigError, Env, loadConfig } from '../config';
import { clientOptions } from './client-options';

/** Users' accounts in the Cognito user pool (their email, for a new profile). */
export function accountDirectory(): CognitoAccountDirectory {
  const config = loadConfig([Env.UserPoolId, Env.CognitoEndpoint]);
  // Lambda sets the region, as does the local stack.
  const region = process.env.AWS_REGION;
  if (!region) throw new ConfigError('Environment variable AWS_REGION is not set');
  return new CognitoAccountDirectory({
    userPoolId: config.USER_POOL_ID,
    region,
    ...clientOptions(config.COGNITO_ENDPOINT),
  });
}
