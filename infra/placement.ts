/**
 * Which stateless stack hosts which function, derived from the topology so a
 * new function lands in the right stack without a second list to keep.
 */
import { EVENT_SOURCES, FUNCTIONS, type FunctionName, HTTP_API, WEBSOCKET } from './topology';

export type CodeStackPart = 'realtime' | 'http';

/** Thrown when the topology puts one function behind both APIs; its permissions would span two stacks. */
export class PlacementError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PlacementError';
  }
}

/**
 * Functions served by the HTTP API go to the HTTP stack; every other function
 * (WebSocket routes, the authorizer, queue consumers) to the realtime stack.
 *
 * @example
 * functionsOf('http'); // ['httpAccount', 'httpAccountLifecycle', 'httpChat', …]
 */
export function functionsOf(part: CodeStackPart): FunctionName[] {
  const http = new Set<FunctionName>(HTTP_API.routes.map((route) => route.function));
  const realtime = new Set<FunctionName>([
    WEBSOCKET.authorizer.function,
    ...WEBSOCKET.routes.map((route) => route.function),
    ...EVENT_SOURCES.map((source) => source.function),
  ]);
  for (const name of http) {
    if (realtime.has(name)) {
      throw new PlacementError(
        `${name} serves both the HTTP API and the realtime side; give each its own function`,
      );
    }
  }
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  return part === 'http' ? names.filter((name) => http.has(name)) : names.filter((name) => !http.has(name));
}

/** `wsSend` → `WsSend`: construct ids from topology names. */
export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Builds one value per topology entry, keyed like the topology. */
export function mapEntries<K extends string, D, R>(
  definitions: Record<K, D>,
  create: (name: K, definition: D) => R,
): Record<K, R> {
  return Object.fromEntries(
    (Object.entries(definitions) as [K, D][]).map(([name, definition]) => [name, create(name, definition)]),
  ) as Record<K, R>;
}
