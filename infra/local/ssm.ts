import { createServer } from 'node:http';
import { readBody } from './gateway/wire';
import { close, LOCAL_HOST, listen } from './listen';

export interface LocalSsm {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const AMZ_JSON = 'application/x-amz-json-1.1';
const MAX_BODY_IN_BYTES = 16 * 1024;

/**
 * SSM Parameter Store's `GetParameter`, the one call the functions make (JSON 1.1 protocol, as the SDK's
 * `SSMClient` speaks it), serving the parameters it was started with as `SecureString`s. Any other action
 * is answered as SSM answers an unknown one.
 */
export async function startSsm(options: {
  readonly port?: number;
  readonly region: string;
  readonly parameters: Readonly<Record<string, string>>;
}): Promise<LocalSsm> {
  const server = createServer(async (request, response) => {
    const answer = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': AMZ_JSON }).end(JSON.stringify(body));
    const target = request.headers['x-amz-target'];
    const body = await readBody(request, MAX_BODY_IN_BYTES);
    if (target !== 'AmazonSSM.GetParameter') {
      return answer(400, { __type: 'InvalidAction', message: `${String(target)} is not served here` });
    }
    let name: unknown;
    try {
      name = (JSON.parse(body?.toString('utf8') ?? '') as { Name?: unknown }).Name;
    } catch {
      return answer(400, { __type: 'SerializationException', message: 'The body is not JSON' });
    }
    const value = typeof name === 'string' ? options.parameters[name] : undefined;
    if (typeof name !== 'string' || value === undefined) {
      return answer(400, { __type: 'ParameterNotFound', message: `Parameter ${String(name)} not found.` });
    }
    return answer(200, {
      Parameter: {
        Name: name,
        Type: 'SecureString',
        Value: value,
        Version: 1,
        ARN: `arn:aws:ssm:${options.region}:000000000000:parameter${name}`,
        DataType: 'text',
      },
    });
  });
  const port = await listen(server, options.port ?? 0);
  return { endpoint: `http://${LOCAL_HOST}:${port}`, stop: () => close(server) };
}
