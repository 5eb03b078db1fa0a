import { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { type BuildAppOptions, buildApp, type StackPart } from '../../infra/parley-app';

export type Json = Record<string, unknown>;
/** A resource of a synthesized template, as the infra tests read it. */
export type Resource = {
  Type: string;
  Properties: Json;
  Metadata?: Json;
  DeletionPolicy?: string;
  [key: string]: unknown;
};

/** Every stack part a stage always has (the edge stack is there only for some: see `synthStage`). */
export const STACK_PARTS: readonly StackPart[] = [
  'auth',
  'data',
  'realtime',
  'http',
  'web',
  'webContent',
  'monitoring',
];

/**
 * One stage's app and the assertion templates of its stacks: bundling skipped, cdk-nag on, no account or
 * region unless `env` names them. `edge` is the us-east-1 stack, when the stage has one.
 */
export function synthStage(stage: string, context: Json = {}, env: BuildAppOptions['env'] = {}) {
  const built = buildApp({ stage, context, skipBundling: true, env });
  const templates = Object.fromEntries(
    STACK_PARTS.map((part) => [part, Template.fromStack(built.stacks[part])]),
  ) as Record<StackPart, Template>;
  const edge = built.stacks.edge ? Template.fromStack(built.stacks.edge) : undefined;
  return { ...built, templates, edge };
}

/** A template's resources of one type, by logical id. */
export function resources(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The one entry of a record, failing the test when there are none or several. */
export function only<T>(record: Record<string, T>): [string, T] {
  const entries = Object.entries(record);
  expect(entries).toHaveLength(1);
  return entries[0] as [string, T];
}
