import { describe, expect, it } from 'vitest';
import { WEBSOCKET_SUBPROTOCOL } from '../../../shared/protocol/limits';
import { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import { InMemoryTokenVerifier } from '../../adapters/memory/memory-token-verifier';
import { SessionEndedError, UnauthorizedError } from '../../errors';
import { authorizeConnection, parseProtocols } from './authorize-connection';

const ISSUED_AT = 1_735_689_600;
const aliceIdentity = { userId: 'alice-sub', username: 'alice', issuedAt: ISSUED_AT };
const bobIdentity = { userId: 'bob-sub', username: 'bob', issuedAt: ISSUED_AT };

const connections = new InMemoryConnectionStore();
const tokens = new InMemoryTokenVerifier({ 'alice-token': aliceIdentity, 'bob-token': bobIdentity });
const authorize = authorizeConnection({ tokens, connections });

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

  it('refuses a token issued before its user signed out everywhere, and only that user', async () => {
    const carol = { userId: 'carol-sub', username: 'carol' };
    tokens.issue('carol-old', { ...carol, issuedAt: ISSUED_AT });
    tokens.issue('carol-new', { ...carol, issuedAt: ISSUED_AT + 10 });
    await connections.signOut(carol.userId, ISSUED_AT + 10, ISSUED_AT * 1000);

    await expect(authorize({ queryToken: 'carol-old', protocolHeader: undefined })).rejects.toThrow(
      SessionEndedError,
    );
    expect((await authorize({ queryToken: 'carol-new', protocolHeader: undefined })).userId).toBe(
      carol.userId,
    );
    expect((await authorize({ queryToken: 'alice-token', protocolHeader: undefined })).userId).toBe(
      aliceIdentity.userId,
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
