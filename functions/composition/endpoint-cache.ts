/**
 * Stands in for `@aws-sdk/endpoint-cache` in function bundles (an esbuild
 * alias, `infra/bundling.ts`). The DynamoDB client builds an `EndpointCache`
 * for endpoint discovery in its constructor, and the package brings
 * `mnemonist`'s LRU cache into every DynamoDB bundle (about 7 KiB minified)
 * and allocates its 1,000 slots at every cold start. Only the discovery
 * middleware reads the cache, and no DynamoDB command of the bundled SDK adds
 * that middleware (Parley never enables discovery either). This keeps the same
 * behaviour on a `Map`, in case a later SDK reads it: entries expire as the
 * SDK's do, and the least recently used one goes once `capacity` is reached.
 * Unbundled code (tests, tools) keeps the real package.
 */

/** An endpoint as `DescribeEndpoints` returns it. */
interface Endpoint {
  Address: string;
  CachePeriodInMinutes: number;
}

interface EndpointWithExpiry {
  Address: string;
  /** Epoch ms. */
  Expires: number;
}

export class EndpointCache {
  private readonly cache = new Map<string, EndpointWithExpiry[]>();

  constructor(private readonly capacity: number) {}

  /** One of the key's unexpired endpoints, picked at random. */
  getEndpoint(key: string): string | undefined {
    const endpoints = this.get(key);
    if (!endpoints || endpoints.length === 0) return undefined;
    return endpoints[Math.floor(Math.random() * endpoints.length)]?.Address;
  }

  /** The key's unexpired endpoints; none left drops the key's entry. */
  get(key: string): EndpointWithExpiry[] | undefined {
    if (!this.has(key)) return undefined;
    const value = this.touch(key);
    if (!value) return undefined;
    const now = Date.now();
    const unexpired = value.filter((endpoint) => now < endpoint.Expires);
    if (unexpired.length === 0) {
      this.delete(key);
      return undefined;
    }
    return unexpired;
  }

  set(key: string, endpoints: Endpoint[]): void {
    const now = Date.now();
    this.store(
      key,
      endpoints.map(({ Address, CachePeriodInMinutes }) => ({
        Address,
        Expires: now + CachePeriodInMinutes * 60 * 1000,
      })),
    );
  }

  /** As the SDK's: the key stays, with no endpoints. */
  delete(key: string): void {
    this.store(key, []);
  }

  /** Whether the key holds endpoints, expired or not; does not count as a use. */
  has(key: string): boolean {
    return (this.cache.get(key)?.length ?? 0) > 0;
  }

  clear(): void {
    this.cache.clear();
  }

  /** Reads the key's entry as its most recent use: a `Map` iterates in insertion order. */
  private touch(key: string): EndpointWithExpiry[] | undefined {
    const value = this.cache.get(key);
    if (value !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, value);
    }
    return value;
  }

  private store(key: string, value: EndpointWithExpiry[]): void {
    this.cache.delete(key);
    if (this.cache.size >= this.capacity) {
      const [leastRecentlyUsed] = this.cache.keys();
      if (leastRecentlyUsed !== undefined) this.cache.delete(leastRecentlyUsed);
    }
    this.cache.set(key, value);
  }
}
