import { type Acknowledgment, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag findings every Parley function shares, acknowledged with one
 * reason wherever they occur.
 */
export const NAG_RUNTIME_PINNED: Acknowledgment = {
  id: 'AwsSolutions-L1',
  reason:
    'nodejs22.x is pinned on purpose (DESIGN.md section 2): the bundles target node22, and the runtime ' +
    'moves with the project on a tested upgrade, not with each new Lambda release.',
};

/**
 * Active tracing's grant (`xray:PutTraceSegments`, `xray:PutTelemetryRecords`), which CDK adds to a
 * function's role: X-Ray has no resource to scope these actions to.
 */
export const NAG_XRAY_WILDCARD: Acknowledgment = {
  id: 'AwsSolutions-IAM5[Resource::*]',
  reason:
    'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions: AWS documents ' +
    'Resource "*" as the only form, and the statement holds those two write-only actions and nothing else.',
};

/**
 * The finding id cdk-nag gives a wildcard resource (`AwsSolutions-IAM5[Resource::…]`),
 * so an acknowledgment names that exact resource and nothing broader. The
 * ARN is resolved in its stack and flattened as cdk-nag does: `Ref` and
 * `Fn::GetAtt` become `<LogicalId>`, joins are concatenated. Resolving here
 * keeps the id right whether the stack has a concrete region or not.
 *
 * @example
 * Validations.of(role).acknowledge({ id: wildcardResourceFinding(role, arn), reason: '…' });
 */
export function wildcardResourceFinding(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(arn))}]`;
}

/**
 * The finding id cdk-nag gives an AWS managed policy on a role
 * (`AwsSolutions-IAM4[Policy::…]`), rendered the same way.
 */
export function managedPolicyFinding(scope: IConstruct, policyArn: string): string {
  return `AwsSolutions-IAM4[Policy::${flatten(Stack.of(scope).resolve(policyArn))}]`;
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if ('Fn::Join' in record) {
      const [delimiter, items] = record['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if ('Fn::Sub' in record) return flatten(record['Fn::Sub']);
    if ('Fn::GetAtt' in record) {
      const [resource, attribute] = record['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ('Fn::ImportValue' in record) return flatten(record['Fn::ImportValue']);
    if ('Ref' in record) return `<${flatten(record.Ref)}>`;
  }
  return JSON.stringify(node);
}
