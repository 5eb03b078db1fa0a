import { ApiMapping, DomainName, type IApi, type IStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { AaaaRecord, ARecord, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { dnsValidatedCertificate, hostedZoneOf } from '../domains';
import type { HostedZoneRef } from '../stage-config';

export interface ApiCustomDomainProps {
  /** The name the API is served at, e.g. `api.chat.example.com`. */
  readonly name: string;
  /** The API and the stage served at the name's root. */
  readonly api: IApi;
  readonly stage: IStage;
  /**
   * The zone the name is in: its alias records are made here.
   * @default none: the operator points the name at the domain's regional name
   */
  readonly hostedZone?: HostedZoneRef;
}

/**
 * A regional custom domain for an API Gateway v2 API: a DNS-validated ACM
 * certificate in the API's region, the domain name (TLS 1.2 at least), a
 * mapping of the stage at its root, and its A and AAAA records when the zone
 * is known. Otherwise the name must point at `domainName.regionalDomainName` (a CNAME).
 *
 * @example
 * new ApiCustomDomain(this, 'CustomDomain', { name: 'api.chat.example.com', api, stage });
 */
export class ApiCustomDomain extends Construct {
  readonly certificate: Certificate;
  readonly domainName: DomainName;
  readonly mapping: ApiMapping;

  constructor(scope: Construct, id: string, props: ApiCustomDomainProps) {
    super(scope, id);
    const zone = hostedZoneOf(this, props.hostedZone);
    this.certificate = dnsValidatedCertificate(this, 'Certificate', props.name, zone);
    this.domainName = new DomainName(this, 'DomainName', {
      domainName: props.name,
      certificate: this.certificate,
    });
    this.mapping = new ApiMapping(this, 'Mapping', {
      api: props.api,
      domainName: this.domainName,
      stage: props.stage,
    });
    if (zone) {
      const target = RecordTarget.fromAlias(
        new ApiGatewayv2DomainProperties(
          this.domainName.regionalDomainName,
          this.domainName.regionalHostedZoneId,
        ),
      );
      new ARecord(this, 'AliasRecord', { zone, recordName: props.name, target });
      new AaaaRecord(this, 'AliasRecordIpv6', { zone, recordName: props.name, target });
    }
  }
}
