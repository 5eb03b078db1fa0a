import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteId } from '../../shared/api/routes';
import { HTTP_ROUTE_GROUPS } from './http-route-groups';

describe('HTTP route groups', () => {
  const grouped = Object.values(HTTP_ROUTE_GROUPS).flat() as RouteId[];

  it('put every route of the API in exactly one group', () => {
    expect([...grouped].sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('keep the one public route apart from every route that needs a token', () => {
    const publicRoutes = (Object.keys(ROUTES) as RouteId[]).filter((id) => ROUTES[id].auth === 'none');
    expect([...HTTP_ROUTE_GROUPS.description]).toEqual(publicRoutes);
  });
});
