/**
 * zod as Parley's own code uses it: `zod/mini`, with English messages.
 *
 * Classic zod puts ~100 KiB of methods in every bundle that builds one schema,
 * and builds schemas more slowly; `zod/mini` bundles only the schemas and
 * checks a file uses. But `zod/mini` sets no locale, and without one every
 * issue reads "Invalid input", where clients see messages like `Too small:
 * expected string to have >=1 characters`. Every schema module of `functions/`,
 * `shared/` and `web/` imports zod from here, so whatever builds a schema has
 * English messages before it first parses, in a function and in the browser
 * alike. Only the English locale is bundled: `z.locales.en()` would bring
 * every locale along.
 *
 * @example
 * import * as z from '../zod';
 * const NameSchema = z.string().check(z.minLength(1), z.maxLength(64));
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
