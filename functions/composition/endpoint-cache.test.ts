import { EndpointCache as SdkEndpointCache } from '@aws-sdk/endpoint-cache';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EndpointCache } from './endpoint-cache';

/** The stand-in, driven beside the SDK's own cache: every answer must be the same. */
describe.each([
  ['the SDK', (capacity: number) => new SdkEndpointCache(capacity)],
  ['the stand-in', (capacity: number) => new EndpointCache(capacity)],
])('the endpoint cache of %s', (_name, create) => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('hands out a stored endpoint until it expires, then forgets it', () => {
    const cache = create(10);
    cache.set('k', [{ Address: 'a.example.com', CachePeriodInMinutes: 2 }]);

    expect(cache.has('k')).toBe(true);
    expect(cache.getEndpoint('k')).toBe('a.example.com');
    vi.advanceTimersByTime(2 * 60 * 1000 - 1);
    expect(cache.get('k')).toEqual([{ Address: 'a.example.com', Expires: Date.now() + 1 }]);
    vi.advanceTimersByTime(1);
    expect(cache.getEndpoint('k')).toBeUndefined();
    expect(cache.has('k')).toBe(false);
  });

  it('keeps only the unexpired endpoints of a key', () => {
    const cache = create(10);
    cache.set('k', [
      { Address: 'short.example.com', CachePeriodInMinutes: 1 },
      { Address: 'long.example.com', CachePeriodInMinutes: 5 },
    ]);
    vi.advanceTimersByTime(60 * 1000);

    expect(cache.get('k')?.map((endpoint) => endpoint.Address)).toEqual(['long.example.com']);
    expect(cache.getEndpoint('k')).toBe('long.example.com');
  });

  it('answers nothing for an unknown, deleted or cleared key', () => {
    const cache = create(10);
    cache.set('k', [{ Address: 'a.example.com', CachePeriodInMinutes: 1 }]);
    cache.set('j', [{ Address: 'b.example.com', CachePeriodInMinutes: 1 }]);
    cache.delete('k');

    expect(cache.get('unknown')).toBeUndefined();
    expect(cache.has('k')).toBe(false);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.getEndpoint('j')).toBe('b.example.com');
    cache.clear();
    expect(cache.has('j')).toBe(false);
  });

  it('drops the least recently used key once full', () => {
    const cache = create(2);
    const endpoint = (address: string) => [{ Address: address, CachePeriodInMinutes: 1 }];
    cache.set('a', endpoint('a.example.com'));
    cache.set('b', endpoint('b.example.com'));
    cache.get('a');
    cache.set('c', endpoint('c.example.com'));

    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
    cache.set('a', endpoint('a2.example.com'));
    cache.set('d', endpoint('d.example.com'));
    expect([cache.has('a'), cache.has('c'), cache.has('d')]).toEqual([true, false, true]);
    expect(cache.getEndpoint('a')).toBe('a2.example.com');
  });
});
