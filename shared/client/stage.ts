import * as z from '../zod';

/**
 * Stack outputs as `cdk deploy --outputs-file` writes them (stack name →
 * output name → value). The local stack writes `.local/outputs.json` in the
 * same shape, so clients find a local or a deployed stage the same way.
 */
export const StackOutputsSchema = z.record(z.string(), z.record(z.string(), z.string()));
export type StackOutputs = z.infer<typeof StackOutputsSchema>;

/** What a client needs to reach a stage. */
export interface StageEndpoints {
  readonly region: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly webSocketUrl: string;
  readonly httpApiUrl: string;
  /** Local stage only: where the Cognito stand-in listens. */
  readonly cognitoEndpoint?: string;
}

/**
 * Reads a stage's endpoints from its outputs file, whatever the stage's name.
 *
 * @example
 * const stage = stageEndpoints(JSON.parse(readFileSync('.local/outputs.json', 'utf8')));
 * new WebSocket(`${stage.webSocketUrl}?token=${accessToken}`);
 */
export function stageEndpoints(outputs: unknown): StageEndpoints {
  const parsed = StackOutputsSchema.parse(outputs);
  const find = (name: string) => {
    for (const stack of Object.values(parsed)) if (stack[name] !== undefined) return stack[name];
    return undefined;
  };
  const require = (name: string) => {
    const value = find(name);
    if (value === undefined) throw new Error(`The outputs lack ${name}: is the stage deployed?`);
    return value;
  };
  const cognitoEndpoint = find('CognitoEndpoint');
  return {
    region: require('Region'),
    userPoolId: require('UserPoolId'),
    userPoolClientId: require('UserPoolClientId'),
    webSocketUrl: require('WebSocketUrl'),
    httpApiUrl: require('HttpApiUrl'),
    ...(cognitoEndpoint ? { cognitoEndpoint } : {}),
  };
}
