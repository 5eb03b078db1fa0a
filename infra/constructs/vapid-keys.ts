import { join } from 'node:path';
import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from '../bundling';
import { REPO_ROOT } from '../paths';
import { NAG_RUNTIME_PINNED } from './nag';

export interface VapidKeysProps {
  readonly stage: string;
  /** Keep the parameter when the stack goes (production-like stages): subscriptions are bound to it. */
  readonly retain: boolean;
  /**
   * The label of the current pair: a new one makes a new pair at the next deploy.
   * @default none: the pair made at the first deploy stays
   */
  readonly rotation?: string;
}

/**
 * The stage's VAPID key pair for Web Push, as an SSM `SecureString` parameter made by a custom resource at
 * the first deploy (`infra/custom-resources/vapid-keys.ts`): CloudFormation cannot make a `SecureString`,
 * and the private key must be in no template. Browsers' subscriptions are bound to the public key, so the
 * pair outlives updates, until a rotation (`rotation`) replaces it. The public key alone is kept beside it
 * as a plain `String` parameter, `publicKeyParameterName`, which `config.json` reads at each deploy.
 */
export class VapidKeys extends Construct {
  readonly parameterName: string;
  readonly parameterArn: string;
  /** The plain parameter holding the public key alone: `/parley/{stage}/vapid-public-key`. */
  readonly publicKeyParameterName: string;
  /** The public key (URL-safe base64 of the uncompressed point), a token resolved at deploy. */
  readonly publicKey: string;

  constructor(scope: Construct, id: string, props: VapidKeysProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.parameterName = `/parley/${props.stage}/vapid-keys`;
    this.parameterArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: this.parameterName.slice(1),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.publicKeyParameterName = `/parley/${props.stage}/vapid-public-key`;
    const publicKeyParameterArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: this.publicKeyParameterName.slice(1),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Makes the ${props.stage} stage's VAPID key pair`,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    // The two parameters' own ARNs only. The SecureString uses the account's AWS managed key for SSM, whose key
    // policy lets the account's principals encrypt and decrypt through SSM: no KMS statement is needed.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
        resources: [this.parameterArn, publicKeyParameterArn],
      }),
    );
    const provider = new NodejsFunction(this, 'Provider', {
      entry: join(REPO_ROOT, 'infra', 'custom-resources', 'vapid-keys.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      description: 'Makes the stage VAPID key pair for Web Push, and a new one on rotation',
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLING.target,
        minify: true,
        banner: LAMBDA_BUNDLING.banner,
        bundleAwsSDK: true,
        forceDockerBundling: false,
      },
    });
    Validations.of(provider).acknowledge(NAG_RUNTIME_PINNED);
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.functionArn,
      resourceType: 'Custom::VapidKeys',
      properties: {
        ParameterName: this.parameterName,
        PublicKeyParameterName: this.publicKeyParameterName,
        Retain: String(props.retain),
        ...(props.rotation === undefined ? {} : { Rotation: props.rotation }),
      },
    });
    this.publicKey = resource.getAttString('PublicKey');
  }
}
