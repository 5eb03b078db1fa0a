import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
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
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { SiteWebAcl } from '../constructs/web-acl';
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
    this.distribution = this.createDistribution(props.stage, this.createResponseHeadersPolicy(props.stage));
    this.url = `https://${this.distribution.distributionDomainName}`;
    this.createOutputs();
    this.acknowledgeNagFindings();
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
  private createResponseHeadersPolicy(stage: string): ResponseHeadersPolicy {
    return new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `Parley ${stage}: strict CSP, HSTS and no framing for the web client`,
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy(
            awsConnectSources(this.region, this.urlSuffix, [bucketNamesFor(stage).blobs]),
          ),
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

  private createDistribution(stage: string, headers: ResponseHeadersPolicy): Distribution {
    return new Distribution(this, 'Distribution', {
      comment: `Parley ${stage} web client`,
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

  private createOutputs(): void {
    new CfnOutput(this, OUTPUTS.web.webUrl, { value: this.url });
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the public web client, read solely by CloudFront through Origin Access ' +
        'Control; server access logs would record nothing but CloudFront fetching build files.',
    });
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
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain the distribution uses the default *.cloudfront.net certificate, whose ' +
          'minimum protocol CloudFront fixes; browsers negotiate TLS 1.2 or 1.3, and HSTS keeps them on HTTPS.',
      },
    );
  }
}
