import type { PushOutcome, PushRequest, PushService } from '../../ports/push-service';

/** A push service that keeps every request it is given and answers as told per endpoint (`sent` else). */
export class InMemoryPushService implements PushService {
  readonly requests: PushRequest[] = [];
  private readonly answers = new Map<string, PushOutcome>();

  /** Answers every later push to `endpoint` with `outcome`. */
  answer(endpoint: string, outcome: PushOutcome): void {
    this.answers.set(endpoint, outcome);
  }

  async send(request: PushRequest): Promise<PushOutcome> {
    this.requests.push(request);
    return this.answers.get(request.destination.endpoint) ?? { kind: 'sent' };
  }

  /** The payloads sent to one endpoint, parsed. */
  payloadsTo(endpoint: string): unknown[] {
    return this.requests
      .filter((request) => request.destination.endpoint === endpoint)
      .map((request) => JSON.parse(request.payload) as unknown);
  }
}
