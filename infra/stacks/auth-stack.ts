import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  UserPool,
  type UserPoolClient,
  VerificationEmailStyle,
} from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { UserPoolWebAcl } from '../constructs/web-acl';
import type { StageConfig } from '../stage-config';
import {
  ATTRIBUTES_VERIFIED_BEFORE_UPDATE,
  MFA_CONFIGURATION,
  OUTPUTS,
  PASSWORD_POLICY,
  TOKEN_VALIDITY,
} from '../topology';

export interface AuthStackProps extends StackProps {
  /** Stage name, for the web ACL's name. */
  readonly stage: string;
  /** The stage's settings; `productionLike` protects the user pool. */
  readonly config: StageConfig;
}

/**
 * Stateful: the Cognito user pool and the web app's client. Users sign up
 * with an email code, sign in with a password sent over TLS to Cognito
 * (never to Parley's own servers), and may add a second factor from an
 * authenticator app (docs/accounts.md).
 */
export class AuthStack extends Stack {
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  /** Rate limits on sign-up and sign-in per address, in front of the user pool's public API. */
  readonly webAcl: UserPoolWebAcl;

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    super(scope, id, props);
    this.userPool = this.createUserPool(props.config);
    this.userPoolClient = this.createClient();
    this.webAcl = new UserPoolWebAcl(this, 'UserPoolWebAcl', {
      stage: props.stage,
      userPoolArn: this.userPool.userPoolArn,
    });
    this.createOutputs();
    this.acknowledgeNagFindings();
  }

  private createUserPool(config: StageConfig): UserPool {
    return new UserPool(this, 'UserPool', {
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      userVerification: {
        emailStyle: VerificationEmailStyle.CODE,
        emailSubject: 'Your Parley verification code',
        emailBody: 'Your Parley verification code is {####}. It expires in 24 hours.',
      },
      standardAttributes: { email: { required: true, mutable: true } },
      // A new email counts once its code is entered; the old one signs in until then (why: the constant).
      keepOriginal: { email: ATTRIBUTES_VERIFIED_BEFORE_UPDATE.includes('email') },
      passwordPolicy: { ...PASSWORD_POLICY, tempPasswordValidity: Duration.days(3) },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Offered, not required; authenticator apps only (why: MFA_CONFIGURATION).
      mfa: MFA_CONFIGURATION === 'OPTIONAL' ? Mfa.OPTIONAL : Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: config.productionLike,
      removalPolicy: config.productionLike ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }

  private createClient(): UserPoolClient {
    return this.userPool.addClient('WebClient', {
      // A browser cannot keep a secret.
      generateSecret: false,
      // The web client, the CLI tool and the tests sign in with USER_PASSWORD_AUTH, over TLS to Cognito. SRP
      // stays allowed for integrators whose SDK defaults to it (Amplify); why the web client does not use it:
      // docs/accounts.md, "Passwords on the wire".
      authFlows: { userPassword: true, userSrp: true },
      // No hosted UI or OAuth redirect: without this CDK enables implicit and code grants to https://example.com.
      disableOAuth: true,
      preventUserExistenceErrors: true,
      // Lets sign-out revoke the refresh token, and with it the access tokens minted from it.
      enableTokenRevocation: true,
      // The same lifetimes as the local pool's (why each: TOKEN_VALIDITY).
      accessTokenValidity: Duration.minutes(TOKEN_VALIDITY.accessTokenMinutes),
      idTokenValidity: Duration.minutes(TOKEN_VALIDITY.idTokenMinutes),
      refreshTokenValidity: Duration.days(TOKEN_VALIDITY.refreshTokenDays),
      authSessionValidity: Duration.minutes(TOKEN_VALIDITY.authSessionMinutes),
    });
  }

  private createOutputs(): void {
    new CfnOutput(this, OUTPUTS.auth.userPoolId, { value: this.userPool.userPoolId });
    new CfnOutput(this, OUTPUTS.auth.userPoolClientId, { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, OUTPUTS.auth.region, { value: Stack.of(this).region });
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          'MFA is optional by product decision: end-to-end encryption keys live on devices, so the account ' +
          'password alone does not reveal messages; users may enrol TOTP and forced MFA would block sign-up.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'The Essentials feature plan is chosen for cost; Plus-tier threat protection is a later, ' +
          'per-stage decision and is not needed for the email-and-password flows Parley uses.',
      },
    );
  }
}
