import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ApiCustomDomain } from '../constructs/api-domain';
import {
  type ApiStackProps,
  accessLogFormat,
  createAccessLogs,
  createFunctions,
} from '../constructs/api-stage';
import { NAG_RUNTIME_PINNED } from '../constructs/nag';
import type { ParleyFunction } from '../constructs/parley-function';
import { customDomainsFor } from '../domains';
import { pascal } from '../placement';
import { type FunctionName, HTTP_API, OUTPUTS } from '../topology';

export interface HttpStackProps extends ApiStackProps {
  /** The stage's own web client origin (`https://…cloudfront.net`), allowed by CORS beside `config.webOrigins`. */
  readonly webOrigin: string;
}

/** API Gateway's own name for the stage served at the API's root URL. */
const DEFAULT_STAGE_NAME = '$default';

/**
 * Stateless: the HTTP API behind Cognito's JWT authorizer, and its function.
 * API Gateway checks signature, issuer, expiry and client before any code runs.
 */
export class HttpStack extends Stack {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** Functions by topology name. */
  readonly functions: Partial<Record<FunctionName, ParleyFunction>>;
  readonly accessLogs: LogGroup;
  /** `api.{domain}` when the stage has a domain. */
  readonly customDomain?: ApiCustomDomain;
  /** The API's root URL clients use: the custom domain's when there is one, without a trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: HttpStackProps) {
    super(scope, id, props);
    this.api = this.createApi(props);
    this.accessLogs = createAccessLogs(this, props.config);
    this.stage = this.createStage();
    this.functions = createFunctions(this, 'http', props);
    this.addRoutes();
    const { domain, hostedZone } = props.config;
    if (domain) {
      const name = customDomainsFor(domain).httpApi;
      this.customDomain = new ApiCustomDomain(this, 'CustomDomain', {
        name,
        api: this.api,
        stage: this.stage,
        ...(hostedZone ? { hostedZone } : {}),
      });
      this.url = `https://${name}`;
    } else {
      this.url = this.api.apiEndpoint;
    }
    this.createOutputs();
    this.acknowledgeNagFindings();
  }

  private createApi(props: HttpStackProps): HttpApi {
    return new HttpApi(this, 'HttpApi', {
      apiName: `parley-${props.stage}-http`,
      description: 'Parley HTTP API',
      // Our own `$default` stage below carries throttling and access logs.
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [props.webOrigin, ...props.config.webOrigins],
        allowMethods: HTTP_API.cors.allowMethods.map((method) => CorsHttpMethod[method]),
        allowHeaders: [...HTTP_API.cors.allowHeaders],
        exposeHeaders: [...HTTP_API.cors.exposeHeaders],
        // Bearer tokens, not cookies: the browser never needs to send credentials cross-origin.
        allowCredentials: false,
        maxAge: Duration.seconds(HTTP_API.cors.maxAgeSeconds),
      },
      defaultAuthorizer: new HttpUserPoolAuthorizer('CognitoAuthorizer', props.userPool, {
        userPoolClients: [props.userPoolClient],
        // The issuer's region is this stack's (one environment per stage), not a value imported from the auth stack.
        userPoolRegion: Stack.of(this).region,
      }),
    });
  }

  /** Access logs name the route and outcome: never the path's query string or headers (tokens ride in them). */
  private createStage(): HttpStage {
    return new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: DEFAULT_STAGE_NAME,
      autoDeploy: true,
      throttle: { rateLimit: HTTP_API.throttle.rateLimit, burstLimit: HTTP_API.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: accessLogFormat({
          protocol: '$context.protocol',
          responseLength: '$context.responseLength',
          responseLatency: '$context.responseLatency',
          integrationError: '$context.integrationErrorMessage',
        }),
      },
    });
  }

  /** One integration per function, shared by its routes. */
  private addRoutes(): void {
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    for (const route of HTTP_API.routes) {
      const fn = this.functions[route.function];
      if (!fn) throw new Error(`${route.function} is not a function of the HTTP stack`);
      let integration = integrations.get(route.function);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascal(route.function)}Integration`, fn.function);
        integrations.set(route.function, integration);
      }
      const routes = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        // Only the API description is public; every other route keeps the default Cognito authorizer.
        ...(route.auth === 'none' ? { authorizer: new HttpNoneAuthorizer() } : {}),
      });
      if (route.auth === 'none') {
        for (const created of routes) {
          Validations.of(created).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason:
              'The API description (OpenAPI) is public on purpose, like any published API reference: ' +
              'it holds no user data, and the function answers it without reading any store.',
          });
        }
      }
    }
  }

  private createOutputs(): void {
    // The `$default` stage serves the API root; clients append paths (`${url}/me`), so no trailing slash.
    new CfnOutput(this, OUTPUTS.http.httpApiUrl, { value: this.url });
    if (this.customDomain) {
      new CfnOutput(this, 'HttpApiDnsTarget', {
        description: 'Where the API domain must point: a CNAME, unless the stack made its alias records',
        value: this.customDomain.domainName.regionalDomainName,
      });
    }
  }

  private acknowledgeNagFindings(): void {
    for (const fn of Object.values(this.functions)) {
      Validations.of(fn.function).acknowledge(NAG_RUNTIME_PINNED);
    }
  }
}
