import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  UserPool,
  type UserPoolClient,
  UserPoolEmail,
  VerificationEmailStyle,
} from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { UserPoolWebAcl } from '../constructs/web-acl';
import type { SesEmail, StageConfig } from '../stage-config';
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

/** The name mail clients show beside the sender's address. */
export const EMAIL_SENDER_NAME = 'Parley';

/** The code email's subject: short, so the code's purpose shows in a notification. */
export const VERIFICATION_EMAIL_SUBJECT = 'Your Parley code';

/**
 * The code email's body: the code, what it is for, and what to do when it
 * was not asked for. Plain markup and no links or images, which spam filters
 * and privacy-minded mail clients both trust more. Cognito puts the code in
 * place of `{####}`.
 */
export const VERIFICATION_EMAIL_BODY =
  '<p>Your Parley code is <strong>{####}</strong></p>' +
  '<p>It expires in 24 hours. If you did not ask for it, ignore this email.</p>';

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
        emailSubject: VERIFICATION_EMAIL_SUBJECT,
        emailBody: VERIFICATION_EMAIL_BODY,
      },
      email: config.email ? this.sesEmail(config.email) : UserPoolEmail.withCognito(),
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

  /**
   * Cognito sends as `fromAddress` through SES in this stack's region; the identity must be verified
   * there and the account out of SES's sandbox (README, "Deploy a stage").
   */
  private sesEmail(email: SesEmail): UserPoolEmail {
    return UserPoolEmail.withSES({
      fromEmail: email.fromAddress,
      fromName: EMAIL_SENDER_NAME,
      // A verified address is its own identity, which CDK names when no domain is given.
      ...(email.identity === email.fromAddress ? {} : { sesVerifiedDomain: email.identity }),
      // Given, not derived: CDK needs it spelled out when the stack has no concrete region.
      sesRegion: Stack.of(this).region,
      ...(email.configurationSet ? { configurationSetName: email.configurationSet } : {}),
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
