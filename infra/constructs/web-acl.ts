import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/**
 * WAF counts a rate-based rule's requests over this window. Five minutes
 * smooths a burst of page loads (one load of the app is a dozen requests)
 * while still cutting off a script within minutes.
 */
export const RATE_WINDOW_IN_SECONDS = 300;

/**
 * Requests one IP address may make to the site per window. A page load is
 * about a dozen requests and hashed assets stay in the browser's cache, so
 * 2,000 (about 7 a second for five minutes) leaves room for a whole office
 * behind one NAT address and stops only scrapers and floods.
 */
export const SITE_REQUESTS_PER_IP_PER_WINDOW = 2_000;

/**
 * Sign-ups, code resends and password resets one IP address may start per
 * window. Each sends an email, which costs SES quota and the sender's
 * reputation; a person needs one or two, a classroom behind one address a
 * few dozen. 20 is low enough to stop a script signing up throwaway accounts.
 */
export const EMAIL_SENDING_CALLS_PER_IP_PER_WINDOW = 20;

/**
 * Sign-in calls one IP address may make per window. A sign-in is one or two
 * calls (password, then TOTP); 100 lets a shared address sign in many people
 * at nine o'clock and caps password guessing from one address at 20 a
 * minute, beside Cognito's own per-user lockout.
 */
export const SIGN_IN_CALLS_PER_IP_PER_WINDOW = 100;

/** Cognito's API names its operation in this header; WAF lower-cases header names. */
const COGNITO_TARGET_HEADER = 'x-amz-target';

/** Calls to Cognito that send an email. */
export const EMAIL_SENDING_COGNITO_TARGETS = [
  'AWSCognitoIdentityProviderService.SignUp',
  'AWSCognitoIdentityProviderService.ResendConfirmationCode',
  'AWSCognitoIdentityProviderService.ForgotPassword',
] as const;

/** Calls to Cognito that check a password or a second factor. */
export const SIGN_IN_COGNITO_TARGETS = [
  'AWSCognitoIdentityProviderService.InitiateAuth',
  'AWSCognitoIdentityProviderService.RespondToAuthChallenge',
] as const;

export interface SiteWebAclProps {
  /** Names the ACL and its metrics. */
  readonly stage: string;
}

/**
 * The CloudFront distribution's web ACL: AWS's common, known-bad-inputs and
 * IP reputation rules, and a per-address rate limit. CloudFront-scope ACLs
 * exist only in us-east-1, so this construct must live in a stack there.
 *
 * @example
 * const acl = new SiteWebAcl(edgeStack, 'SiteWebAcl', { stage: 'prod' });
 * new Distribution(webStack, 'Distribution', { webAclId: acl.arn, ... });
 */
export class SiteWebAcl extends Construct {
  readonly acl: CfnWebACL;
  /** What CloudFront's `webAclId` takes for WAFv2: the ARN. */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: SiteWebAclProps) {
    super(scope, id);
    const name = `parley-${props.stage}-site`;
    this.acl = new CfnWebACL(this, 'Acl', {
      name,
      description: `Parley ${props.stage}: web client CloudFront distribution`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(name),
      rules: [
        managedRule('AWSManagedRulesAmazonIpReputationList', 0),
        managedRule('AWSManagedRulesKnownBadInputsRuleSet', 1),
        managedRule('AWSManagedRulesCommonRuleSet', 2),
        rateRule('RequestsPerIp', 3, SITE_REQUESTS_PER_IP_PER_WINDOW),
      ],
    });
    this.arn = this.acl.attrArn;
  }
}

export interface UserPoolWebAclProps {
  /** Names the ACL and its metrics. */
  readonly stage: string;
  /** The user pool to guard, in this construct's region. */
  readonly userPoolArn: string;
}

/**
 * The user pool's regional web ACL: per-address limits on calls that send
 * email and on sign-in calls, and AWS's IP reputation and known-bad-inputs
 * rules. Not the common rule set: its body checks (cross-site scripting,
 * SQL injection) read the JSON Cognito is sent, and a password must hold
 * symbols (`PASSWORD_POLICY`), so a strong password like `<Script>'1a`
 * would be refused.
 *
 * @example
 * new UserPoolWebAcl(authStack, 'UserPoolWebAcl', { stage: 'prod', userPoolArn: pool.userPoolArn });
 */
export class UserPoolWebAcl extends Construct {
  readonly acl: CfnWebACL;
  readonly association: CfnWebACLAssociation;

  constructor(scope: Construct, id: string, props: UserPoolWebAclProps) {
    super(scope, id);
    const name = `parley-${props.stage}-user-pool`;
    this.acl = new CfnWebACL(this, 'Acl', {
      name,
      description: `Parley ${props.stage}: Cognito user pool public API`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(name),
      rules: [
        rateRule(
          'EmailSendingCallsPerIp',
          0,
          EMAIL_SENDING_CALLS_PER_IP_PER_WINDOW,
          targetsStatement(EMAIL_SENDING_COGNITO_TARGETS),
        ),
        rateRule(
          'SignInCallsPerIp',
          1,
          SIGN_IN_CALLS_PER_IP_PER_WINDOW,
          targetsStatement(SIGN_IN_COGNITO_TARGETS),
        ),
        managedRule('AWSManagedRulesAmazonIpReputationList', 2),
        managedRule('AWSManagedRulesKnownBadInputsRuleSet', 3),
      ],
    });
    this.association = new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.userPoolArn,
      webAclArn: this.acl.attrArn,
    });
  }
}

function visibility(metricName: string): CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

function managedRule(name: string, priority: number): CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
    // A rule group's own actions (block) apply; `none` means do not override them.
    overrideAction: { none: {} },
    visibilityConfig: visibility(name),
  };
}

function rateRule(
  name: string,
  priority: number,
  limit: number,
  scopeDownStatement?: CfnWebACL.StatementProperty,
): CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    action: { block: {} },
    statement: {
      rateBasedStatement: {
        limit,
        evaluationWindowSec: RATE_WINDOW_IN_SECONDS,
        aggregateKeyType: 'IP',
        ...(scopeDownStatement ? { scopeDownStatement } : {}),
      },
    },
    visibilityConfig: visibility(name),
  };
}

/** Matches a Cognito API call by its `X-Amz-Target` header, one of `targets`. */
function targetsStatement(targets: readonly string[]): CfnWebACL.StatementProperty {
  const statements = targets.map(
    (target): CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { singleHeader: { Name: COGNITO_TARGET_HEADER } },
        positionalConstraint: 'EXACTLY',
        searchString: target,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    }),
  );
  const [first] = statements;
  if (statements.length === 1 && first) return first;
  return { orStatement: { statements } };
}
