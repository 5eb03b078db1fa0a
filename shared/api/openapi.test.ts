import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { HTTP_STATUS_BY_CODE } from '../protocol/errors';
import { openApiDocument, openApiJson } from './openapi';
import { ROUTE_DESCRIPTIONS } from './route-descriptions';
import { ROUTES, type RouteId, type RouteSpec } from './routes';

const SchemaObject = z.record(z.string(), z.unknown());

const ResponseShape = z.strictObject({
  description: z.string().min(1),
  headers: z.record(z.string(), z.object({ description: z.string(), schema: SchemaObject })).optional(),
  content: z.record(z.string(), z.strictObject({ schema: SchemaObject })).optional(),
});

const OperationShape = z.strictObject({
  operationId: z.string(),
  tags: z.array(z.string()).length(1),
  summary: z.string().min(1),
  description: z.string().optional(),
  security: z.array(z.record(z.string(), z.array(z.string()))),
  parameters: z
    .array(
      z.strictObject({
        name: z.string(),
        in: z.enum(['path', 'query', 'header', 'cookie']),
        required: z.boolean(),
        schema: SchemaObject,
      }),
    )
    .optional(),
  requestBody: z
    .strictObject({
      required: z.literal(true),
      content: z.record(z.string(), z.object({ schema: SchemaObject })),
    })
    .optional(),
  responses: z.record(z.string().regex(/^[1-5]\d\d$/), ResponseShape),
});

/** The parts of OpenAPI 3.1 this document uses, checked field by field. */
const OpenApiShape = z.strictObject({
  openapi: z.literal('3.1.0'),
  info: z.strictObject({ title: z.string(), version: z.string(), description: z.string() }),
  servers: z.array(z.object({ url: z.string() })).optional(),
  tags: z.array(z.object({ name: z.string() })),
  paths: z.record(
    z.string().regex(/^\//),
    z.partialRecord(z.enum(['get', 'put', 'post', 'delete', 'patch']), OperationShape),
  ),
  components: z.strictObject({
    securitySchemes: z.record(z.string(), SchemaObject),
    schemas: z.record(z.string(), SchemaObject),
  }),
});

type Operation = z.infer<typeof OperationShape>;

const doc = OpenApiShape.parse(openApiDocument());
const routes = Object.entries(ROUTES) as [RouteId, RouteSpec][];

function operationOf(spec: RouteSpec): Operation {
  const operation = doc.paths[spec.path]?.[spec.method.toLowerCase() as 'get'];
  if (!operation) throw new Error(`No operation for ${spec.method} ${spec.path}`);
  return operation;
}

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : refsIn(inner),
  );
}

describe('the OpenAPI document', () => {
  it('is a structurally valid OpenAPI 3.1 document whose references all resolve', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Parley HTTP API');
    const refs = [...new Set(refsIn(doc))];
    expect(refs).toContain('#/components/schemas/Problem');
    for (const ref of refs) {
      const name = ref.replace('#/components/schemas/', '');
      expect(doc.components.schemas, ref).toHaveProperty(name);
    }
    expect(JSON.stringify(doc)).not.toContain('$schema');
  });

  it('describes every route once, under its method and path, named by its id', () => {
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item));
    expect(operations.map((operation) => operation?.operationId).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const [id, spec] of routes) {
      const operation = operationOf(spec);
      expect(operation.operationId).toBe(id);
      expect(operation.tags).toEqual([spec.tag]);
      const prose: { summary: string; description?: string } = ROUTE_DESCRIPTIONS[id];
      expect(operation.summary).toBe(prose.summary);
      expect(operation.description).toBe(prose.description);
    }
  });

  it('declares exactly the path parameters named in each path, all required', () => {
    for (const [id, spec] of routes) {
      const inPath = [...spec.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const declared = (operationOf(spec).parameters ?? []).filter((parameter) => parameter.in === 'path');
      expect(declared.map((parameter) => parameter.name).sort(), id).toEqual(inPath.sort());
      expect(declared.every((parameter) => parameter.required)).toBe(true);
    }
  });

  it('marks a query parameter required unless it is optional or has a default', () => {
    const query = (spec: RouteSpec) =>
      Object.fromEntries(
        (operationOf(spec).parameters ?? [])
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => [parameter.name, parameter.required]),
      );
    expect(query(ROUTES.getPresence)).toEqual({ userIds: true });
    expect(query(ROUTES.listConversations)).toEqual({ limit: false, cursor: false });
    expect(query(ROUTES.listMessages)).toEqual({ after: false, before: false, cursor: false, limit: false });
    expect(query(ROUTES.getMe)).toEqual({});
  });

  it('gives a required JSON request body to the routes that take one, and to no other', () => {
    for (const [id, spec] of routes) {
      const { requestBody } = operationOf(spec);
      if (spec.body) expect(Object.keys(requestBody?.content ?? {}), id).toEqual(['application/json']);
      else expect(requestBody, id).toBeUndefined();
    }
  });

  it('answers success with the route status: a JSON body, or no content for 204', () => {
    for (const [id, spec] of routes) {
      const success = operationOf(spec).responses[spec.status];
      expect(success, id).toBeDefined();
      if (spec.status === 204) expect(success?.content, id).toBeUndefined();
      else expect(Object.keys(success?.content ?? {}), id).toEqual(['application/json']);
    }
  });

  it('guards every jwt route with the Cognito bearer scheme and declares 401 and 429 on it', () => {
    expect(doc.components.securitySchemes.cognito).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [id, spec] of routes) {
      const { security, responses } = operationOf(spec);
      if (spec.auth === 'jwt') {
        expect(security, id).toEqual([{ cognito: [] }]);
        expect(responses, id).toHaveProperty('401');
      } else {
        expect(security, id).toEqual([]);
        expect(responses, id).not.toHaveProperty('401');
      }
      expect(responses, id).toHaveProperty('429');
      expect(responses['429']?.headers, id).toHaveProperty('Retry-After');
      expect(responses, id).toHaveProperty('500');
    }
  });

  it('lists each route error under its status as problem+json, codes sharing a status together', () => {
    for (const [id, spec] of routes) {
      const { responses } = operationOf(spec);
      for (const code of spec.errors) {
        const response = responses[HTTP_STATUS_BY_CODE[code]];
        expect(response?.description, `${id} ${code}`).toContain(`\`${code}\``);
        expect(response?.content?.['application/problem+json']?.schema).toEqual({
          $ref: '#/components/schemas/Problem',
        });
      }
    }
    const conflicts = operationOf(ROUTES.postMessage).responses['409']?.description ?? '';
    expect(conflicts).toContain('SEND_IN_PROGRESS');
    const badRequest = operationOf(ROUTES.postMessage).responses['400']?.description ?? '';
    expect(badRequest).toContain('VALIDATION_FAILED');
    expect(badRequest).toContain('INVALID_JSON');
  });

  it('names the server only when asked', () => {
    expect(doc.servers).toBeUndefined();
    expect(openApiDocument({ serverUrl: 'https://api.example.com' }).servers).toEqual([
      { url: 'https://api.example.com' },
    ]);
  });

  it('is committed up to date in docs/openapi.json', () => {
    const file = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
    expect(committed, 'docs/openapi.json is stale or missing: run `npm run openapi`').toBe(openApiJson());
  });
});
