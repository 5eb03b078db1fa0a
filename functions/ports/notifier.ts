import type { OutboundFrame } from '../../shared/protocol/outbound';

/** Pushes frames to open connections. */
export interface Notifier {
  /** Throws `ConnectionGoneError` when the connection no longer exists. */
  send(connectionId: string, frame: OutboundFrame): Promise<void>;
  /** Closes a connection from the server's side. Throws `ConnectionGoneError` when it no longer exists. */
  close(connectionId: string): Promise<void>;
  /**
   * When the client last sent a frame on the connection (epoch ms): API Gateway closes it once that is
   * 10 minutes past. Throws `ConnectionGoneError` when the connection no longer exists.
   */
  lastActiveAt(connectionId: string): Promise<number>;
}
