import { describe, expect, it } from 'vitest';
import { WEBSOCKET_SUBPROTOCOL } from '../../../shared/protocol/limits';
import { InMemoryTokenVerifier } from '../../adapters/memory/memory-token-verifier';
import { UnauthorizedError } from '../../errors';
import { authorizeConnection, parseProtocols } from './authorize-connection';

const aliceIdentity = { userId: 'alice-sub', username: 'alice' };
const bobIdentity = { userId: 'bob-sub', username: 'bob' };

const authorize = authorizeConnection({
  tokens: new InMemoryTokenVerifier({ 'alice-token': aliceIdentity, 'bob-token': bobIdentity }),
});

describe('authorizeConnection', () => {
  it('lets a client in with the token in the query string', async () => {
    const connection = await authorize({ queryToken: 'alice-token', protocolHeader: undefined });

    expect(connection).toEqual({ ...aliceIdentity, subprotocol: undefined });
  });

  it('lets a browser in with "parley, <token>" as sub-protocols and echoes "parley"', async () => {
    const connection = await authorize({ queryToken: undefined, protocolHeader: 'parley, alice-token' });

    expect(connection).toEqual({ ...aliceIdentity, subprotocol: WEBSOCKET_SUBPROTOCOL });
  });

  it('finds the token whichever order the sub-protocols come in', async () => {
    const connection = await authorize({ queryToken: undefined, protocolHeader: 'bob-token,parley' });

    expect(connection).toEqual({ ...bobIdentity, subprotocol: 'parley' });
  });

  it('echoes no sub-protocol when the client did not offer "parley"', async () => {
    const connection = await authorize({ queryToken: 'alice-token', protocolHeader: 'chat, superchat' });

    expect(connection.subprotocol).toBeUndefined();
    expect(connection.userId).toBe(aliceIdentity.userId);
  });

  it('takes the query-string token over one in the sub-protocols', async () => {
    const connection = await authorize({ queryToken: 'bob-token', protocolHeader: 'parley, alice-token' });

    expect(connection).toEqual({ ...bobIdentity, subprotocol: 'parley' });
  });

  it('looks in the sub-protocols when the query-string token is empty', async () => {
    const connection = await authorize({ queryToken: '', protocolHeader: 'parley, alice-token' });

    expect(connection.userId).toBe(aliceIdentity.userId);
  });

  it('refuses an upgrade without a token', async () => {
    await expect(authorize({ queryToken: undefined, protocolHeader: undefined })).rejects.toThrow(
      UnauthorizedError,
    );
  });

  it('refuses an upgrade that offers only "parley"', async () => {
    await expect(authorize({ queryToken: undefined, protocolHeader: 'parley' })).rejects.toThrow(
      UnauthorizedError,
    );
  });

  it('refuses an invalid token, in the query string or in the sub-protocols', async () => {
    await expect(authorize({ queryToken: 'forged', protocolHeader: undefined })).rejects.toThrow(
      UnauthorizedError,
    );
    await expect(authorize({ queryToken: undefined, protocolHeader: 'parley, forged' })).rejects.toThrow(
      UnauthorizedError,
    );
  });
});

describe('parseProtocols', () => {
  it.each([
    [undefined, []],
    ['', []],
    [',', []],
    [' , ,', []],
    ['parley', ['parley']],
    ['parley,token', ['parley', 'token']],
    ['  parley ,   token  ', ['parley', 'token']],
    ['parley,,token', ['parley', 'token']],
  ])('splits %j into %j', (header, expected) => {
    expect(parseProtocols(header)).toEqual(expected);
  });
});
