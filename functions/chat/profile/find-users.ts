import { MIN_USER_SEARCH_PREFIX_LENGTH } from '../../../shared/protocol/limits';
import type { Page, PublicProfile } from '../../../shared/protocol/resources';
import { NotFoundError, ValidationError } from '../../errors';
import type { Profile, ProfileStore } from '../../ports/profile-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { RelationshipStore } from '../../ports/relationship-store';
import { strangerProfile } from '../views';

export interface FindUsersDeps {
  readonly profiles: ProfileStore;
  readonly relationships: RelationshipStore;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/** Exactly one of `email` and `prefix` (the route's schema checks it). */
export interface FindUsersQuery {
  readonly email?: string;
  readonly prefix?: string;
  readonly limit: number;
}

/**
 * Finds users by exact email or by the first page of a username prefix; never lists everyone.
 * 1. Refuse a prefix under three characters; count the search against the caller's allowance.
 * 2. Look up the email, or one page of usernames starting with the prefix.
 * 3. Leave out users who blocked the caller or whom the caller blocked.
 */
export function findUsers(deps: FindUsersDeps) {
  return async (caller: { userId: string }, query: FindUsersQuery): Promise<Page<PublicProfile>> => {
    if (query.prefix !== undefined && query.prefix.length < MIN_USER_SEARCH_PREFIX_LENGTH) {
      throw new ValidationError(`A search prefix needs at least ${MIN_USER_SEARCH_PREFIX_LENGTH} characters`);
    }
    await deps.rateLimiter.consume(caller.userId, 'search', deps.clock());
    const page: Page<Profile> =
      query.email !== undefined
        ? {
            items: [await deps.profiles.findByEmail(query.email.toLowerCase())].filter(
              (p) => p !== undefined,
            ),
          }
        : // One page only: a longer prefix narrows the search, a cursor would walk the directory.
          {
            items: (
              await deps.profiles.searchByUsernamePrefix((query.prefix ?? '').toLowerCase(), query.limit)
            ).items,
          };
    const hidden = await deps.relationships.blockedEitherWay(
      caller.userId,
      page.items.map((profile) => profile.userId),
    );
    return {
      items: page.items.filter((profile) => !hidden.has(profile.userId)).map(strangerProfile),
      ...(page.next ? { next: page.next } : {}),
    };
  };
}

/** One user's public profile (without a picture: see `strangerProfile`); hidden from users they blocked. */
export function getUser(deps: Pick<FindUsersDeps, 'profiles' | 'relationships'>) {
  return async (caller: { userId: string }, userId: string): Promise<PublicProfile> => {
    const [profile, relation] = await Promise.all([
      deps.profiles.get(userId),
      deps.relationships.relation(caller.userId, userId),
    ]);
    if (!profile || relation.blockedBy) throw new NotFoundError('No such user');
    return strangerProfile(profile);
  };
}
