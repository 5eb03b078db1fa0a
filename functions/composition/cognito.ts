import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { CognitoAccountDirectory } from '../adapters/cognito/cognito-account-directory';
import { Env, loadConfig } from '../config';
import { clientOptions } from './client-options';

/** Users' accounts in the Cognito user pool (their email, for a new profile). */
export function accountDirectory(): CognitoAccountDirectory {
  const config = loadConfig([Env.UserPoolId, Env.CognitoEndpoint]);
  return new CognitoAccountDirectory(
    new CognitoIdentityProviderClient(clientOptions(config.COGNITO_ENDPOINT)),
    config.USER_POOL_ID,
  );
}
