import { WEBSOCKET_SUBPROTOCOL } from '../../../shared/protocol/limits';
import { UnauthorizedError } from '../../errors';
import type { ConnectionStore } from '../../ports/connection-store';
import type { TokenVerifier, VerifiedIdentity } from '../../ports/token-verifier';
import { assertSessionCurrent } from '../session/session-mark';

export interface ConnectRequest {
  /** `?token=` of the upgrade request. */
  readonly queryToken: string | undefined;
  /** Raw `Sec-WebSocket-Protocol` header: browsers send `parley, <token>`. */
  readonly protocolHeader: string | undefined;
}

export interface AuthorizedConnection extends VerifiedIdentity {
  /** The sub-protocol to echo, when the client offered ours. */
  readonly subprotocol: string | undefined;
}

/**
 * Finds the access token of a WebSocket upgrade and verifies it.
 * Browsers cannot set an `Authorization` header on a WebSocket, so the token
 * comes from the query string or rides beside `parley` in the sub-protocols.
 * 1. Verify the token (signature, issuer, expiry, client, access token).
 * 2. Refuse it when its user signed out everywhere after it was issued (`SessionEndedError`).
 */
export function authorizeConnection(deps: {
  tokens: TokenVerifier;
  connections: Pick<ConnectionStore, 'signedOutAt'>;
}) {
  return async (request: ConnectRequest): Promise<AuthorizedConnection> => {
    const offered = parseProtocols(request.protocolHeader);
    const subprotocol = offered.includes(WEBSOCKET_SUBPROTOCOL) ? WEBSOCKET_SUBPROTOCOL : undefined;
    // `?token=` with no value arrives as '': no token there, so look in the sub-protocols.
    const token = request.queryToken || offered.find((value) => value !== WEBSOCKET_SUBPROTOCOL);
    if (!token)
      throw new UnauthorizedError('No access token: pass ?token= or the sub-protocols parley, <token>');
    const identity = await deps.tokens.verify(token);
    assertSessionCurrent(await deps.connections.signedOutAt(identity.userId), identity.issuedAt);
    return { ...identity, subprotocol };
  };
}

/** Splits a `Sec-WebSocket-Protocol` header into its values. */
export function parseProtocols(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
}
