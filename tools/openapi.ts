/**
 * `npm run openapi`: writes the HTTP API's OpenAPI description, generated from
 * `shared/api/routes.ts` (with `route-responses.ts` and `route-descriptions.ts`), to `docs/openapi.json`. A test fails while the
 * committed file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiJson } from '../shared/api/openapi';

const target = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
writeFileSync(target, openApiJson());
console.log(`Wrote ${target}`);
