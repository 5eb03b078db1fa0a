import * as z from '../../shared/zod';

// zod compiles parsers with `new Function` unless told not to; the Content-Security-Policy forbids that (and
// the probe alone is reported as a violation). Imported first by the chat's entry (`chat.ts`), before any
// schema is built.
z.config({ jitless: true });
