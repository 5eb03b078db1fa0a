import { join } from 'node:path';
import { AssetHashType, DockerImage, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { cognitoEndpointFor, WEB_CONFIG_PATH, type WebConfig } from '../../shared/client/web-config';
import { managedPolicyFinding, wildcardResourceFinding } from '../constructs/nag';
import { REPO_ROOT } from '../paths';
import { ASSETS_DIR, buildWebSync } from '../web-build';

export interface WebContentStackProps extends StackProps {
  /** Stage name, written into `config.json`. */
  readonly stage: string;
  /** The web stack's bucket, by name (`siteBucketNameFor`). */
  readonly bucketName: string;
  /** The user pool the app signs users in to, and its web client. */
  readonly userPool: IUserPool;
  readonly userPoolClient: IUserPoolClient;
  /** The HTTP API's root URL. */
  readonly httpApiUrl: string;
  /** The WebSocket stage's `wss://` URL. */
  readonly webSocketUrl: string;
  /**
   * The SSM parameter holding the stage's VAPID public key, for Web Push subscriptions. Read at each
   * deploy, not imported from the data stack: a rotated key would be an export CloudFormation cannot change.
   */
  readonly vapidPublicKeyParameterName: string;
}

/** Hashed file names change with their content, so browsers and CloudFront may keep them for good. */
const IMMUTABLE = CacheControl.fromString('public, max-age=31536000, immutable');

/**
 * Stateless: the web client's files and its `config.json` in the web
 * stack's bucket. The app is built by esbuild during synthesis (production
 * mode, no Docker, no network) and one build serves every stage: the
 * stage's endpoints reach it through `config.json`, written here from the
 * auth and API stacks' values.
 *
 * Hashed assets go first and are never pruned, so a browser still holding
 * the previous `index.html` finds the files it names; `index.html` and
 * `config.json` follow, revalidated on every load.
 */
export class WebContentStack extends Stack {
  /** The stage's configuration as `config.json` holds it (deploy-time values are tokens). */
  readonly webConfig: Omit<WebConfig, 'mailboxUrl'>;
  readonly assets: BucketDeployment;
  readonly pages: BucketDeployment;

  constructor(scope: Construct, id: string, props: WebContentStackProps) {
    super(scope, id, props);
    this.webConfig = {
      stage: props.stage,
      region: this.region,
      userPoolId: props.userPool.userPoolId,
      userPoolClientId: props.userPoolClient.userPoolClientId,
      cognitoEndpoint: cognitoEndpointFor(this.region, this.urlSuffix),
      httpApiUrl: props.httpApiUrl,
      webSocketUrl: props.webSocketUrl,
      vapidPublicKey: StringParameter.valueForStringParameter(this, props.vapidPublicKeyParameterName),
    };
    const bucket = Bucket.fromBucketName(this, 'SiteBucket', props.bucketName);
    const site = this.buildSite();
    const source = Source.bucket(site.bucket, site.s3ObjectKey);
    this.assets = this.deployAssets(source, bucket);
    this.pages = this.deployPages(source, bucket);
    this.pages.node.addDependency(this.assets);
    this.acknowledgeNagFindings(site, bucket);
  }

  private deployAssets(site: ISource, bucket: IBucket): BucketDeployment {
    return new BucketDeployment(this, 'Assets', {
      sources: [site],
      destinationBucket: bucket,
      exclude: ['*'],
      include: [`${ASSETS_DIR}/*`],
      cacheControl: [IMMUTABLE],
      prune: false,
    });
  }

  private deployPages(site: ISource, bucket: IBucket): BucketDeployment {
    return new BucketDeployment(this, 'Pages', {
      sources: [site, Source.jsonData(WEB_CONFIG_PATH.slice(1), this.webConfig)],
      destinationBucket: bucket,
      exclude: [`${ASSETS_DIR}/*`],
      cacheControl: [CacheControl.noCache()],
      prune: false,
    });
  }

  /**
   * The production build, run by CDK's local bundling (synchronously, as its
   * hook requires). The image is never pulled: local bundling always succeeds
   * or throws, and Parley never bundles in Docker. Skipped, like the
   * functions' bundles, when a test synthesizes without bundling.
   */
  private buildSite(): Asset {
    return new Asset(this, 'Site', {
      path: join(REPO_ROOT, 'web'),
      assetHashType: AssetHashType.OUTPUT,
      exclude: ['dist'],
      bundling: {
        image: DockerImage.fromRegistry('parley-never-pulled'),
        local: {
          tryBundle(outputDir) {
            buildWebSync({ outDir: outputDir, mode: 'production' });
            return true;
          },
        },
      },
    });
  }

  /** Findings on the handler CDK provides for bucket deployments: one per stack, shared by both. */
  private acknowledgeNagFindings(site: Asset, bucket: IBucket): void {
    const handler = this.node.findAll().find((child) => child instanceof LambdaFunction);
    if (!handler) throw new Error('The bucket deployment handler was not created');
    const role = this.assets.handlerRole;
    const basicExecution = ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole');
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        "CDK's bucket deployment handler runs on the Python runtime aws-cdk-lib pins and tests with it; " +
        'it runs during deployments only and moves with the library version.',
    });
    Validations.of(role).acknowledge(
      {
        id: managedPolicyFinding(role, basicExecution.managedPolicyArn),
        reason:
          "CDK's bucket deployment handler writes its logs through the AWS managed basic execution " +
          'policy; it runs during deployments only and handles no user data.',
      },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason:
          "CDK's grant to the deployment handler, which syncs the built site from its staged asset into " +
          'the site bucket: scoped to those two buckets by the statements it belongs to.',
      })),
      {
        id: wildcardResourceFinding(role, site.bucket.arnForObjects('*')),
        reason: 'The handler reads the staged site asset, whose key CDK picks in the staging bucket.',
      },
      {
        id: wildcardResourceFinding(role, bucket.arnForObjects('*')),
        reason:
          'The handler writes every file of the site, whose names carry content hashes, in the site bucket only.',
      },
    );
  }
}
