import { createServer } from 'node:http';
import { readBody } from './gateway/wire';
import { close, LOCAL_HOST, listen } from './listen';

export interface LocalSsm {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const AMZ_JSON = 'application/x-amz-json-1.1';
const MAX_BODY_IN_BYTES = 16 * 1024;

interface StoredParameter {
  readonly type: 'String' | 'SecureString';
  readonly value: string;
  readonly version: number;
}

/**
 * SSM Parameter Store's `GetParameter`, `PutParameter` and `DeleteParameter` (JSON 1.1 protocol, as the
 * SDK's `SSMClient` speaks it): the first is the one call the functions make; the other two are what the
 * stage's VAPID key custom resource makes, for its tests. It starts with the given parameters as
 * `SecureString`s. Any other action is answered as SSM answers an unknown one.
 */
export async function startSsm(options: {
  readonly port?: number;
  readonly region: string;
  readonly parameters: Readonly<Record<string, string>>;
}): Promise<LocalSsm> {
  const parameters = new Map<string, StoredParameter>(
    Object.entries(options.parameters).map(([name, value]) => [
      name,
      { type: 'SecureString', value, version: 1 },
    ]),
  );
  const server = createServer(async (request, response) => {
    const answer = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': AMZ_JSON }).end(JSON.stringify(body));
    const notFound = (name: unknown) =>
      answer(400, { __type: 'ParameterNotFound', message: `Parameter ${String(name)} not found.` });
    const target = request.headers['x-amz-target'];
    const body = await readBody(request, MAX_BODY_IN_BYTES);
    let input: { Name?: unknown; Value?: unknown; Type?: unknown; Overwrite?: unknown };
    try {
      input = JSON.parse(body?.toString('utf8') ?? '') as typeof input;
    } catch {
      return answer(400, { __type: 'SerializationException', message: 'The body is not JSON' });
    }
    const name = input.Name;
    if (typeof name !== 'string')
      return answer(400, { __type: 'ValidationException', message: 'Name is required' });
    const stored = parameters.get(name);
    switch (target) {
      case 'AmazonSSM.GetParameter':
        if (!stored) return notFound(name);
        return answer(200, {
          Parameter: {
            Name: name,
            Type: stored.type,
            Value: stored.value,
            Version: stored.version,
            ARN: `arn:aws:ssm:${options.region}:000000000000:parameter${name}`,
            DataType: 'text',
          },
        });
      case 'AmazonSSM.PutParameter': {
        if (typeof input.Value !== 'string' || (input.Type !== 'String' && input.Type !== 'SecureString')) {
          return answer(400, { __type: 'ValidationException', message: 'Value and Type are required' });
        }
        if (stored && input.Overwrite !== true) {
          return answer(400, { __type: 'ParameterAlreadyExists', message: 'The parameter already exists.' });
        }
        const version = (stored?.version ?? 0) + 1;
        parameters.set(name, { type: input.Type, value: input.Value, version });
        return answer(200, { Version: version, Tier: 'Standard' });
      }
      case 'AmazonSSM.DeleteParameter':
        if (!stored) return notFound(name);
        parameters.delete(name);
        return answer(200, {});
      default:
        return answer(400, { __type: 'InvalidAction', message: `${String(target)} is not served here` });
    }
  });
  const port = await listen(server, options.port ?? 0);
  return { endpoint: `http://${LOCAL_HOST}:${port}`, stop: () => close(server) };
}
