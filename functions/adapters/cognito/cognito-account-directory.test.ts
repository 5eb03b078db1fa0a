import { Readable } from 'node:stream';
import { type HttpRequest, HttpResponse } from '@smithy/core/protocols';
import { describe, expect, it } from 'vitest';
import { asUnavailable } from '../../errors';
import { CognitoAccountDirectory, type CognitoRequestHandler } from './cognito-account-directory';

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** Answers each request with the next of its answers, and keeps what it was sent. */
class ScriptedCognito implements CognitoRequestHandler {
  readonly requests: HttpRequest[] = [];
  constructor(private readonly answers: Answer[]) {}

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    this.requests.push(request);
    const answer = this.answers.shift() ?? { status: 500, body: {} };
    return {
      response: new HttpResponse({
        statusCode: answer.status,
        headers: answer.headers ?? {},
        body: Readable.from([Buffer.from(JSON.stringify(answer.body))]),
      }),
    };
  }
}

const directoryWith = (cognito: ScriptedCognito, endpoint?: string) =>
  new CognitoAccountDirectory({
    userPoolId: 'eu-west-1_Pool',
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: cognito,
    ...(endpoint ? { endpoint } : {}),
  });

describe('CognitoAccountDirectory', () => {
  it('sends each call as the SDK does: a signed JSON 1.1 POST naming the operation, the pool and the user', async () => {
    const cognito = new ScriptedCognito([
      {
        status: 200,
        body: {
          Username: 'alice',
          UserAttributes: [
            { Name: 'sub', Value: 'u-alice' },
            { Name: 'email', Value: 'alice@example.com' },
          ],
        },
      },
    ]);

    await expect(directoryWith(cognito).getByUsername('alice')).resolves.toEqual({
      userId: 'u-alice',
      email: 'alice@example.com',
    });

    const [request] = cognito.requests;
    expect(request?.hostname).toBe('cognito-idp.eu-west-1.amazonaws.com');
    expect(request?.headers['x-amz-target']).toBe('AWSCognitoIdentityProviderService.AdminGetUser');
    expect(request?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/cognito-idp\//,
    );
    expect(JSON.parse(String(request?.body))).toEqual({ UserPoolId: 'eu-west-1_Pool', Username: 'alice' });
  });

  it('calls a local stand-in at its endpoint', async () => {
    const cognito = new ScriptedCognito([{ status: 200, body: {} }]);
    await directoryWith(cognito, 'http://127.0.0.1:3005').signOut('alice');
    expect(cognito.requests[0]).toMatchObject({ protocol: 'http:', hostname: '127.0.0.1', port: 3005 });
    expect(cognito.requests[0]?.headers['x-amz-target']).toBe(
      'AWSCognitoIdentityProviderService.AdminUserGlobalSignOut',
    );
  });

  it('takes an unknown user as no account, nothing to sign out and nothing to delete', async () => {
    const unknown = (type: string) => ({
      status: 400,
      body: { __type: type, message: 'User does not exist.' },
    });
    const cognito = new ScriptedCognito([
      unknown('UserNotFoundException'),
      unknown('com.amazonaws.cognito#UserNotFoundException'),
      { status: 400, body: {}, headers: { 'x-amzn-errortype': 'UserNotFoundException:http://internal/' } },
    ]);
    const directory = directoryWith(cognito);

    await expect(directory.getByUsername('ghost')).resolves.toBeUndefined();
    await expect(directory.signOut('ghost')).resolves.toBeUndefined();
    await expect(directory.delete('ghost')).resolves.toBeUndefined();
  });

  it('refuses other errors by their type, and asks again after a 5xx before giving up as unavailable', async () => {
    const refused = new ScriptedCognito([{ status: 400, body: { __type: 'NotAuthorizedException' } }]);
    await expect(directoryWith(refused).delete('alice')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    expect(refused.requests).toHaveLength(1);

    const failing = new ScriptedCognito([
      { status: 500, body: { __type: 'InternalErrorException' } },
      { status: 500, body: { __type: 'InternalErrorException' } },
      { status: 500, body: { __type: 'InternalErrorException' } },
    ]);
    const error = await directoryWith(failing)
      .delete('alice')
      .catch((caught: unknown) => caught);
    expect(failing.requests).toHaveLength(3);
    expect(asUnavailable(error)).toBeDefined();

    const recovering = new ScriptedCognito([
      { status: 400, body: { __type: 'TooManyRequestsException' } },
      { status: 200, body: {} },
    ]);
    await expect(directoryWith(recovering).delete('alice')).resolves.toBeUndefined();
    expect(recovering.requests).toHaveLength(2);
  });
});
