import type { OutboundFrame } from '../../shared/protocol/outbound';

/** Pushes frames to open connections. */
export interface Notifier {
  /** Throws `ConnectionGoneError` when the connection no longer exists. */
  send(connectionId: string, frame: OutboundFrame): Promise<void>;
  /** Closes a connection from the server's side. Throws `ConnectionGoneError` when it no longer exists. */
  close(connectionId: string): Promise<void>;
}
