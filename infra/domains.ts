import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { HostedZone, type IHostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { HostedZoneRef } from './stage-config';

/**
 * The names a stage with a domain is served at: the site at the domain, the
 * HTTP API at `api.` and the WebSocket API at `ws.` under it.
 *
 * @example
 * customDomainsFor('chat.example.com').webSocket; // 'ws.chat.example.com'
 */
export function customDomainsFor(domain: string) {
  return { site: domain, httpApi: `api.${domain}`, webSocket: `ws.${domain}` } as const;
}

/**
 * The zone as its id and name give it: no lookup, so synthesis stays offline.
 *
 * @example
 * const zone = hostedZoneOf(this, { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' });
 */
export function hostedZoneOf(scope: Construct, zone: HostedZoneRef | undefined): IHostedZone | undefined {
  if (!zone) return undefined;
  return HostedZone.fromHostedZoneAttributes(scope, 'HostedZone', {
    hostedZoneId: zone.id,
    zoneName: zone.name,
  });
}

/**
 * An ACM certificate for one name, validated by DNS: by a record this stack
 * makes in the zone, or, without a zone, by the record the operator adds.
 * Until then CloudFormation waits on it, and its events show the record
 * (README, "Deploy a stage").
 *
 * @example
 * const certificate = dnsValidatedCertificate(this, 'Certificate', 'api.chat.example.com', zone);
 */
export function dnsValidatedCertificate(
  scope: Construct,
  id: string,
  domainName: string,
  zone: IHostedZone | undefined,
): Certificate {
  return new Certificate(scope, id, { domainName, validation: CertificateValidation.fromDns(zone) });
}
