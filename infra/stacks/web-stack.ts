import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { AaaaRecord, ARecord, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { CloudFrontTarget } from 'aws-cdk-lib/aws-route53-targets';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { SiteWebAcl } from '../constructs/web-acl';
import { customDomainsFor, dnsValidatedCertificate, hostedZoneOf } from '../domains';
import type { HostedZoneRef } from '../stage-config';
import { OUTPUTS } from '../topology';
import {
  awsConnectSources,
  contentSecurityPolicy,
  HSTS_MAX_AGE_IN_SECONDS,
  SECURITY_HEADER_VALUES,
} from '../web-headers';
import { bucketNamesFor } from './data-stack';
import type { EdgeStack } from './edge-stack';
import { PRIVATE_BUCKET } from './private-bucket';

export interface WebStackProps extends StackProps {
  /** Stage name, for descriptions. */
  readonly stage: string;
  /** The site bucket's name (see `siteBucketNameFor`). */
  readonly bucketName: string;
  /**
   * The stage's us-east-1 stack, when this one is elsewhere (`needsEdgeStack`): its web ACL guards
   * the distribution.
   * @default none: this stack makes the web ACL itself, as a stack in us-east-1 (or environment-agnostic) may
   */
  readonly edge?: EdgeStack;
  /**
   * The stage's domain: the site is served there, and it becomes the app's origin.
   * @default none: the distribution's own `*.cloudfront.net` domain
   */
  readonly domain?: string;
  /**
   * The zone `domain` is in: the site's alias records are made there.
   * @default none: the operator points the domain at the `SiteDnsTarget` output
   */
  readonly hostedZone?: HostedZoneRef;
}

/**
 * The stage's site bucket name, `parley-{stage}-web-{account}-{region}`,
 * built from pseudo parameters in whichever stack uses it (as
 * `bucketNamesFor` does for the data buckets): the web content stack's
 * grants then name it the same way before and after synthesis, and its
 * cdk-nag finding is acknowledged by that exact id.
 *
 * @example
 * siteBucketNameFor('dev'); // parley-dev-web-${AWS::AccountId}-${AWS::Region}
 */
export function siteBucketNameFor(stage: string): string {
  return `parley-${stage.toLowerCase()}-web-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

/** The page CloudFront serves for a path with no object behind it: the app routes it. */
const APP_PAGE = '/index.html';

/**
 * Stateless: where the web client is served from. A private bucket behind
 * a CloudFront distribution that reads it through Origin Access Control,
 * HTTPS only, with the strict security headers of `web-headers.ts`. The
 * files themselves are deployed by the web content stack, which also needs
 * the API stacks; those in turn need this distribution's domain for CORS.
 *
 * The distribution's domain is the app's origin, and the origin owns each
 * browser's stored device keys and message state: replacing the
 * distribution would sign every device out of its history. Production-like
 * stages protect this stack from deletion for that reason.
 */
export class WebStack extends Stack {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** The distribution's web ACL, in this stack or the edge stack. */
  readonly webAcl: SiteWebAcl;
  /** `https://{distribution domain}`: the site's origin, for CORS and the outputs. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebStackProps) {
    super(scope, id, { ...props, ...(props.edge ? { crossRegionReferences: true } : {}) });
    this.bucket = this.createBucket(props.bucketName);
    this.webAcl = props.edge?.siteWebAcl ?? new SiteWebAcl(this, 'SiteWebAcl', { stage: props.stage });
    const zone = hostedZoneOf(this, props.hostedZone);
    const custom = props.domain ? this.customDomain(props.domain, zone, props.edge) : undefined;
    this.distribution = this.createDistribution(
      props.stage,
      this.createResponseHeadersPolicy(props.stage, props.domain),
      custom,
    );
    this.url = `https://${props.domain ?? this.distribution.distributionDomainName}`;
    if (props.domain && zone) this.createAliasRecords(props.domain, zone);
    this.createOutputs(props.domain);
    this.acknowledgeNagFindings(props.domain);
  }

  /**
   * Holds only build output, which every deploy writes again: emptied and
   * deleted with the stack, in every stage.
   */
  private createBucket(bucketName: string): Bucket {
    return new Bucket(this, 'SiteBucket', {
      ...PRIVATE_BUCKET,
      bucketName,
      lifecycleRules: [
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
  }

  /**
   * The headers of `web-headers.ts`, on every response. The app connects to
   * any API Gateway and the Cognito endpoint of the stage's region (see
   * `awsConnectSources` for why not the stage's own API ids).
   */
  /**
   * The certificate CloudFront serves the domain with: from the edge stack when this stack is outside
   * us-east-1 (CloudFront takes certificates from there only), else made here.
   */
  private customDomain(
    domain: string,
    zone: IHostedZone | undefined,
    edge: EdgeStack | undefined,
  ): { domainNames: string[]; certificate: ICertificate } {
    const certificate =
      edge?.siteCertificate ?? dnsValidatedCertificate(this, 'SiteCertificate', domain, zone);
    return { domainNames: [domain], certificate };
  }

  private createAliasRecords(domain: string, zone: IHostedZone): void {
    const target = RecordTarget.fromAlias(new CloudFrontTarget(this.distribution));
    new ARecord(this, 'SiteAliasRecord', { zone, recordName: domain, target });
    new AaaaRecord(this, 'SiteAliasRecordIpv6', { zone, recordName: domain, target });
  }

  private createResponseHeadersPolicy(stage: string, domain: string | undefined): ResponseHeadersPolicy {
    return new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `Parley ${stage}: strict CSP, HSTS and no framing for the web client`,
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy([
            ...awsConnectSources(this.region, this.urlSuffix, [bucketNamesFor(stage).blobs]),
            ...(domain ? customConnectSources(domain) : []),
          ]),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_IN_SECONDS),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: SECURITY_HEADER_VALUES.permissionsPolicy, override: true },
        ],
      },
    });
  }

  private createDistribution(
    stage: string,
    headers: ResponseHeadersPolicy,
    custom: { domainNames: string[]; certificate: ICertificate } | undefined,
  ): Distribution {
    return new Distribution(this, 'Distribution', {
      comment: `Parley ${stage} web client`,
      // With a certificate CDK's default minimum is TLS 1.2 (TLSv1.2_2021).
      ...(custom ?? {}),
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        // Honours each object's Cache-Control (hashed assets a year, index.html and config.json
        // no-cache); its 1 s minimum TTL bounds how stale those two can be at the edge.
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // Client-side routes (`/c/123`) have no object: S3 answers 403 (CloudFront may not list the
      // bucket) and the app's page answers instead, with 200. Not cached, so a deploy shows at once.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: APP_PAGE,
        ttl: Duration.seconds(0),
      })),
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      webAclId: this.webAcl.arn,
    });
  }

  private createOutputs(domain: string | undefined): void {
    new CfnOutput(this, OUTPUTS.web.webUrl, { value: this.url });
    if (domain) {
      new CfnOutput(this, 'SiteDnsTarget', {
        description: `Where ${domain} must point: a CNAME (an alias at a zone apex), unless the stack made its records`,
        value: this.distribution.distributionDomainName,
      });
    }
  }

  private acknowledgeNagFindings(domain: string | undefined): void {
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the public web client, read solely by CloudFront through Origin Access ' +
        'Control; server access logs would record nothing but CloudFront fetching build files.',
    });
    if (!domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain the distribution uses the default *.cloudfront.net certificate, whose ' +
          'minimum protocol CloudFront fixes; browsers negotiate TLS 1.2 or 1.3, and HSTS keeps them on HTTPS.',
      });
    }
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Parley is offered in every country; there is no region to restrict.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Access logs would record who loaded a public page, which Parley does not need to keep; ' +
          'CloudFront metrics cover operations. Turn on standard logging per stage if ever required.',
      },
    );
  }
}

/** The custom API origins the app connects to when the stage has a domain. */
function customConnectSources(domain: string): string[] {
  const names = customDomainsFor(domain);
  return [`https://${names.httpApi}`, `wss://${names.webSocket}`];
}
