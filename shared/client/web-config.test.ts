import { createECDH } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { stageEndpoints } from './stage';
import { cognitoEndpointFor, loadWebConfig, type WebConfig, WebConfigError, webConfigOf } from './web-config';

const DEPLOYED: WebConfig = {
  stage: 'dev',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AbCdEf123',
  userPoolClientId: '1example23456789',
  cognitoEndpoint: 'https://cognito-idp.eu-west-1.amazonaws.com/',
  httpApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
  webSocketUrl: 'wss://def456.execute-api.eu-west-1.amazonaws.com/dev',
};

/** A fetch that answers every request with one response, and records what it was asked. */
function answering(response: () => Response) {
  const requests: Array<{ url: string; init?: RequestInit }> = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push({ url: String(input), ...(init ? { init } : {}) });
    return response();
  }) as typeof fetch;
  return { fetchImpl, requests };
}

describe('loadWebConfig', () => {
  it('reads /config.json from the page origin, bypassing the browser cache', async () => {
    const { fetchImpl, requests } = answering(() => Response.json(DEPLOYED));
    await expect(loadWebConfig(fetchImpl)).resolves.toEqual(DEPLOYED);
    expect(requests).toEqual([{ url: '/config.json', init: expect.objectContaining({ cache: 'no-store' }) }]);
  });

  it('accepts the local stage, with its plain-HTTP endpoints and the dev mailbox', async () => {
    const local: WebConfig = {
      ...DEPLOYED,
      stage: 'local',
      cognitoEndpoint: 'http://127.0.0.1:3005',
      httpApiUrl: 'http://127.0.0.1:3002',
      webSocketUrl: 'ws://127.0.0.1:3001',
      mailboxUrl: 'http://127.0.0.1:3000/mailbox',
    };
    await expect(loadWebConfig(answering(() => Response.json(local)).fetchImpl)).resolves.toEqual(local);
  });

  it('reads the VAPID public key when the stage sends pushes, and refuses one that is no P-256 point', async () => {
    const key = `BA${'x'.repeat(85)}`;
    await expect(
      loadWebConfig(answering(() => Response.json({ ...DEPLOYED, vapidPublicKey: key })).fetchImpl),
    ).resolves.toEqual({ ...DEPLOYED, vapidPublicKey: key });
    // Any real key: the point's 0x04 fills the first character and the x coordinate's top bits the second.
    for (let i = 0; i < 8; i++) {
      const real = createECDH('prime256v1').generateKeys().toString('base64url');
      await expect(
        loadWebConfig(answering(() => Response.json({ ...DEPLOYED, vapidPublicKey: real })).fetchImpl),
      ).resolves.toMatchObject({ vapidPublicKey: real });
    }
    for (const bad of [key.slice(1), `${key}A`, `BA${'+'.repeat(85)}`, `BQ${'x'.repeat(85)}`]) {
      await expect(
        loadWebConfig(answering(() => Response.json({ ...DEPLOYED, vapidPublicKey: bad })).fetchImpl),
      ).rejects.toThrow(/vapidPublicKey/);
    }
  });

  it('names the fields that are missing or malformed', async () => {
    const { fetchImpl } = answering(() =>
      Response.json({ ...DEPLOYED, userPoolId: undefined, webSocketUrl: 'https://not-a-socket' }),
    );
    await expect(loadWebConfig(fetchImpl)).rejects.toThrow(/userPoolId, webSocketUrl/);
  });

  it('refuses a body that is not an object, and leaves out fields it does not know', async () => {
    await expect(loadWebConfig(answering(() => Response.json(['dev'])).fetchImpl)).rejects.toThrow(
      /\(root\)/,
    );
    const extra = answering(() => Response.json({ ...DEPLOYED, secret: 'x' })).fetchImpl;
    await expect(loadWebConfig(extra)).resolves.toEqual(DEPLOYED);
  });

  it('fails on an error status, a non-JSON body or a network failure', async () => {
    const failures = [
      answering(() => new Response('missing', { status: 404 })).fetchImpl,
      answering(() => new Response('<!doctype html>', { status: 200 })).fetchImpl,
      (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof fetch,
    ];
    for (const fetchImpl of failures) await expect(loadWebConfig(fetchImpl)).rejects.toThrow(WebConfigError);
  });
});

describe('webConfigOf', () => {
  const outputs = {
    'Parley-dev-Auth': {
      UserPoolId: DEPLOYED.userPoolId,
      UserPoolClientId: DEPLOYED.userPoolClientId,
      Region: 'eu-west-1',
    },
    'Parley-dev-Realtime': { WebSocketUrl: DEPLOYED.webSocketUrl },
    'Parley-dev-Http': { HttpApiUrl: DEPLOYED.httpApiUrl },
  };

  it('builds a deployed stage configuration from its outputs, with the region Cognito endpoint', () => {
    expect(webConfigOf(stageEndpoints(outputs), { stage: 'dev' })).toEqual(DEPLOYED);
  });

  it('uses the Cognito stand-in and adds the mailbox for the local stage', () => {
    const local = {
      ...outputs,
      'Parley-dev-Auth': { ...outputs['Parley-dev-Auth'], CognitoEndpoint: 'http://127.0.0.1:3005' },
    };
    expect(
      webConfigOf(stageEndpoints(local), { stage: 'local', mailboxUrl: 'http://127.0.0.1:3000/mailbox' }),
    ).toMatchObject({
      cognitoEndpoint: 'http://127.0.0.1:3005',
      mailboxUrl: 'http://127.0.0.1:3000/mailbox',
    });
  });

  it('knows the China partition endpoint suffix', () => {
    expect(cognitoEndpointFor('cn-north-1', 'amazonaws.com.cn')).toBe(
      'https://cognito-idp.cn-north-1.amazonaws.com.cn/',
    );
  });
});
