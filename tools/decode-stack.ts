/**
 * `npm run decode-stack -- <function> [--stage <name> | --local | --map <file>] [log file]`:
 * rewrites a stack trace a function logged (positions in its minified
 * `index.mjs`) to the source files and lines they came from. Functions run
 * without source maps; `cdk synth` keeps each map beside the cloud assembly
 * and the local stack beside its bundles.
 *
 * Reads the log file, or standard input:
 *
 *   npm run decode-stack -- wsSend --stage prod < error.txt
 *   npm run decode-stack -- httpChat --local .local/logs/functions.log
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SOURCE_MAPS_DIR_SUFFIX } from '../infra/bundling';
import { REPO_ROOT } from '../infra/paths';
import { FUNCTIONS, type FunctionName } from '../infra/topology';

/** `index.mjs:12:3456`, however the runtime prefixed the path. */
const POSITION = /((?:file:\/\/)?[^\s()]*index\.mjs):(\d+):(\d+)/g;

const USAGE =
  'Usage: npm run decode-stack -- <function> [--stage <name> | --local | --map <file>] [log file]';

function mapFile(name: FunctionName, options: { stage?: string; local?: boolean; map?: string }): string {
  if (options.map) return options.map;
  if (options.local) return join(REPO_ROOT, '.local', 'build', name, 'index.mjs.map');
  return join(REPO_ROOT, `cdk.out${SOURCE_MAPS_DIR_SUFFIX}`, options.stage ?? 'dev', name, 'index.mjs.map');
}

/**
 * A map's sources are relative to where esbuild wrote it (a temporary
 * bundling directory): shown from the repository's root, or from
 * `node_modules/` for dependencies.
 */
function displayPath(source: string): string {
  const dependency = source.lastIndexOf('node_modules/');
  if (dependency >= 0) return source.slice(dependency);
  const own = source.match(/(?:^|\/)((?:functions|shared)\/.*)$/);
  return own?.[1] ?? source.replace(/^(?:\.\.?\/)+/, '');
}

/**
 * Replaces every bundle position in `text` with the `source:line:column` of
 * the mapping that covers it, keeping the rest. A position on a line the map
 * has nothing for is left as it was, rather than guessed from another line.
 * `bundle`, when given, is a part of the path a position must have: the local
 * stack's log holds every function's frames, each under its own directory.
 */
export function decodeStack(text: string, map: SourceMap, bundle?: string): string {
  return text.replace(POSITION, (position, path: string, line: string, column: string) => {
    if (bundle && !path.includes(bundle)) return position;
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
    if (!('originalSource' in entry) || entry.generatedLine !== Number(line) - 1) return position;
    return `${displayPath(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/** Thrown for a wrong invocation or a missing map: printed without a stack. */
class DecodeStackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeStackError';
  }
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { stage: { type: 'string' }, local: { type: 'boolean' }, map: { type: 'string' } },
  });
  const [name, logFile] = positionals;
  if (!name || !Object.hasOwn(FUNCTIONS, name)) {
    throw new DecodeStackError(`${USAGE}\nFunctions: ${Object.keys(FUNCTIONS).join(', ')}`);
  }
  const path = mapFile(name as FunctionName, values);
  if (!existsSync(path)) {
    throw new DecodeStackError(
      `No source map at ${path}: run \`npx cdk synth -c stage=…\` (or \`npm start\`) first`,
    );
  }
  const map = new SourceMap(JSON.parse(readFileSync(path, 'utf8')));
  const text = readFileSync(logFile ?? 0, 'utf8');
  process.stdout.write(decodeStack(text, map, values.local ? `/${name}/index.mjs` : undefined));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof DecodeStackError ? error.message : error);
    process.exit(1);
  }
}
