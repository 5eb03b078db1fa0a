import { openApiDocument } from '../../shared/api/openapi';
import { metricsRecorder } from '../composition/metrics';
import { httpHandler } from '../edge/http-handler';
import { createLogger } from '../observability';

/** Built once per execution environment, on its first request. */
let description: ReturnType<typeof openApiDocument> | undefined;

/** `GET /openapi.json`, public: the API's OpenAPI description, with no data access. */
export const handler = httpHandler(
  'description',
  {
    getApiDescription: async () => {
      description ??= openApiDocument();
      return description;
    },
  },
  createLogger('http-description'),
  metricsRecorder('http-description'),
  // Public: no caller to count.
  undefined,
);
