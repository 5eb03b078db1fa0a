import type { OutboundFrame } from '../../../shared/protocol/outbound';
import { ConnectionGoneError } from '../../errors';
import type { Notifier } from '../../ports/notifier';

/**
 * Records the frames pushed to each connection. A connection marked gone
 * answers like API Gateway's 410; one given a failure throws that error, as
 * a throttled or failing `@connections` call would.
 */
export class InMemoryNotifier implements Notifier {
  private readonly sent = new Map<string, OutboundFrame[]>();
  private readonly gone = new Set<string>();
  private readonly failures = new Map<string, Error>();
  private readonly closedIds: string[] = [];
  private readonly activity = new Map<string, number>();

  async send(connectionId: string, frame: OutboundFrame): Promise<void> {
    if (this.gone.has(connectionId)) throw new ConnectionGoneError(connectionId);
    const failure = this.failures.get(connectionId);
    if (failure) throw failure;
    const frames = this.sent.get(connectionId) ?? [];
    frames.push(frame);
    this.sent.set(connectionId, frames);
  }

  async close(connectionId: string): Promise<void> {
    if (this.gone.has(connectionId)) throw new ConnectionGoneError(connectionId);
    const failure = this.failures.get(connectionId);
    if (failure) throw failure;
    this.closedIds.push(connectionId);
    // A closed connection is gone, as API Gateway answers for it afterwards.
    this.gone.add(connectionId);
  }

  /** Connections closed from the server's side, in order. */
  closed(): readonly string[] {
    return [...this.closedIds];
  }

  async lastActiveAt(connectionId: string): Promise<number> {
    if (this.gone.has(connectionId)) throw new ConnectionGoneError(connectionId);
    const failure = this.failures.get(connectionId);
    if (failure) throw failure;
    return this.activity.get(connectionId) ?? 0;
  }

  /** The client of a connection sent a frame at `at` (epoch ms). */
  markActive(connectionId: string, at: number): void {
    this.activity.set(connectionId, at);
  }

  /** Frames pushed to a connection, in order. */
  framesOf(connectionId: string): readonly OutboundFrame[] {
    return [...(this.sent.get(connectionId) ?? [])];
  }

  /** Later sends to the connection throw `ConnectionGoneError`. */
  markGone(connectionId: string): void {
    this.gone.add(connectionId);
  }

  /** Later calls reach the connection again, as once a handshake that was under way completes. */
  markOpen(connectionId: string): void {
    this.gone.delete(connectionId);
  }

  /** Later sends to the connection throw `error` (anything but "gone"). */
  failWith(connectionId: string, error: Error): void {
    this.failures.set(connectionId, error);
  }
}
