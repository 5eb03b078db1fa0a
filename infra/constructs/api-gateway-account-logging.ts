import { RemovalPolicy } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { type IManagedPolicy, ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The account-wide role API Gateway uses to write WebSocket access logs.
 * Without it, a WebSocket stage with access logging fails to deploy ("CloudWatch
 * Logs role ARN must be set in account settings"); HTTP APIs do not need it.
 *
 * The setting is one per account and region, shared by every stage deployed
 * there, so both the role and the setting are retained when a stack is
 * deleted: removing one stage must not stop another stage's logs. Accounts
 * that manage this setting centrally turn it off (`-c apiGatewayAccountRole=false`).
 *
 * @example
 * const logging = new ApiGatewayAccountLogging(this, 'ApiGatewayAccountLogging');
 * stage.node.addDependency(logging);
 */
export class ApiGatewayAccountLogging extends Construct {
  readonly role: Role;
  /** AWS's policy for this role: logs of any API, hence account-wide. */
  readonly policy: IManagedPolicy;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.policy = ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs');
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway write execution and access logs of the APIs of this account and region',
      managedPolicies: [this.policy],
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: this.role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
