import { type Environment, Stack, type StackProps, Token } from 'aws-cdk-lib';
import type { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { Construct } from 'constructs';
import { SiteWebAcl } from '../constructs/web-acl';
import { dnsValidatedCertificate, hostedZoneOf } from '../domains';
import type { HostedZoneRef } from '../stage-config';

/** The only region CloudFront takes a web ACL or a certificate from. */
export const EDGE_REGION = 'us-east-1';

/**
 * Whether the stage's CloudFront resources need a stack of their own in
 * us-east-1: when the stage has a region and it is another one. In
 * us-east-1 they live in the web stack. Environment-agnostic synthesis (offline,
 * without credentials) puts them in the web stack too: CDK can reference across
 * regions only between stacks whose regions it knows. Deploys run with
 * credentials, which give every stack its region.
 *
 * @example
 * needsEdgeStack({ account: '123456789012', region: 'eu-west-1' }); // true
 * needsEdgeStack({}); // false
 */
export function needsEdgeStack(env: Environment): boolean {
  return env.region !== undefined && !Token.isUnresolved(env.region) && env.region !== EDGE_REGION;
}

/** The edge stack's name: beside the stage's others, outside `stackNames` since most stages have none. */
export function edgeStackNameFor(stage: string): string {
  return `Parley-${stage}-Edge`;
}

export interface EdgeStackProps extends StackProps {
  /** Stage name, for resource names. */
  readonly stage: string;
  /**
   * The stage's domain, which the site's certificate names.
   * @default none: no certificate
   */
  readonly domain?: string;
  /**
   * The zone `domain` is in, for the certificate's validation record.
   * @default none: the operator adds that record
   */
  readonly hostedZone?: HostedZoneRef;
}

/**
 * Stateless, pinned to us-east-1: what the stage's CloudFront distribution
 * needs from that region: the web ACL, and the certificate of the stage's
 * domain when it has one. The web stack, in the stage's own
 * region, reads its ARN through CDK's cross-region references (an SSM
 * parameter here, read by a custom resource there).
 */
export class EdgeStack extends Stack {
  readonly siteWebAcl: SiteWebAcl;
  /** The certificate CloudFront serves `domain` with. */
  readonly siteCertificate?: Certificate;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, {
      ...props,
      env: { ...props.env, region: EDGE_REGION },
      crossRegionReferences: true,
    });
    this.siteWebAcl = new SiteWebAcl(this, 'SiteWebAcl', { stage: props.stage });
    if (props.domain) {
      const zone = hostedZoneOf(this, props.hostedZone);
      this.siteCertificate = dnsValidatedCertificate(this, 'SiteCertificate', props.domain, zone);
    }
  }
}
