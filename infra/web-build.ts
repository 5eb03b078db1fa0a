/**
 * Bundles the web client with esbuild: in development mode under the local
 * stack's dev server (`watchWeb`), in production mode during `cdk synth`
 * (`buildWebSync`, for the site's bucket) and for `npm run build:web`
 * (`tools/build-web.ts`, which prints each file's size).
 *
 * No Vite: esbuild already bundles the functions, so the project has one
 * bundler. The page is `web/index.html` with its `<!-- parley:assets -->`
 * marker replaced by one stylesheet link, one module script and a
 * `modulepreload` link per chunk; nothing is inlined, so the strict
 * Content-Security-Policy (`script-src 'self'`, `style-src 'self'`) holds.
 *
 * Beside the app, its service worker (`web/src/sw.ts`, for Web Push) is
 * bundled on its own as a classic script at a stable URL, `/sw.js`: a
 * browser finds an updated worker by fetching that same URL again, so it
 * cannot carry a hash, and Firefox does not yet run module workers.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { REPO_ROOT } from './paths';

export type WebBuildMode = 'production' | 'development';

export interface WebBuildOptions {
  /** Where the site goes; emptied first. */
  readonly outDir: string;
  /** `production`: minified, content-hashed names. `development`: readable, with source maps. */
  readonly mode: WebBuildMode;
  /**
   * The app's entry module.
   * @default web/src/main.tsx
   */
  readonly entry?: string;
  /**
   * The HTML page, holding the assets marker once.
   * @default web/index.html
   */
  readonly template?: string;
  /**
   * Static files copied as they are to the site's root (favicon, robots.txt), if the folder exists.
   * @default web/public
   */
  readonly publicDir?: string;
  /**
   * The service worker's entry module, bundled to {@link SERVICE_WORKER_FILE} if it exists.
   * @default sw.ts beside the entry
   */
  readonly serviceWorker?: string;
}

/** One file of a built site. */
export interface WebFile {
  /** Relative to the site's root, with forward slashes: `assets/main-4F2K7Q.js`. */
  readonly path: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export interface WebBuildResult {
  /** Every file of the site, by path. */
  readonly files: readonly WebFile[];
  /** The module script `index.html` loads, as a root-relative URL. */
  readonly script: string;
  /** The stylesheet `index.html` links, if the app imports any CSS. */
  readonly stylesheet?: string;
  /** Chunks the script imports before it runs, preloaded by `index.html` so they do not wait for it. */
  readonly modulePreloads: readonly string[];
  /** Chunks the script imports later (`import()`), preloaded with low priority. */
  readonly lazyModulePreloads: readonly string[];
  /** The service worker's URL (`/sw.js`), when the app has one. */
  readonly serviceWorker?: string;
}

/** The tags {@link renderIndexHtml} puts in the page. */
export interface PageAssets {
  readonly script: string;
  readonly stylesheet?: string;
  /** @default none */
  readonly modulePreloads?: readonly string[];
  /** @default none */
  readonly lazyModulePreloads?: readonly string[];
}

/** Thrown when the app does not compile or the page template breaks a rule of the build. */
export class WebBuildError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebBuildError';
  }
}

/** Where `index.html` gets its tags. */
export const ASSETS_MARKER = '<!-- parley:assets -->';
/** Hashed files live here; only they are cached for a year. */
export const ASSETS_DIR = 'assets';
/**
 * The service worker, at the site's root: its scope is then the whole site without a
 * `Service-Worker-Allowed` header, and, outside `assets/`, it is deployed to be revalidated on every
 * load like `index.html`, so a new version reaches browsers at once.
 */
export const SERVICE_WORKER_FILE = 'sw.js';

/** The web client's sources; `dist/` beneath is where `npm run build:web` writes. */
export const WEB_ROOT = join(REPO_ROOT, 'web');
const DEFAULTS = {
  entry: join(WEB_ROOT, 'src', 'main.tsx'),
  template: join(WEB_ROOT, 'index.html'),
  publicDir: join(WEB_ROOT, 'public'),
} as const;

/** Inline code a strict CSP would block, so the build refuses it rather than ship a broken page. */
const INLINE_CODE_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/<script\b(?![^>]*\bsrc\s*=)[^>]*>/i, 'an inline <script>'],
  [/<style\b/i, 'a <style> element'],
  [/<[^>]+\sstyle\s*=/i, 'a style attribute'],
  [/<[^>]+\son[a-z]+\s*=/i, 'an inline event handler'],
  [/\bjavascript:/i, 'a javascript: URL'],
];

/**
 * Builds the site once.
 *
 * @example
 * const { files } = await buildWeb({ outDir: 'web/dist', mode: 'production' });
 */
export async function buildWeb(options: WebBuildOptions): Promise<WebBuildResult> {
  const settings = resolveOptions(options);
  prepareOutDir(settings);
  let result: esbuild.BuildResult<{ metafile: true }>;
  try {
    [result] = await Promise.all([
      esbuild.build(esbuildOptions(settings)),
      hasServiceWorker(settings) ? esbuild.build(serviceWorkerOptions(settings)) : undefined,
    ]);
  } catch (error) {
    throw buildFailure(error);
  }
  return finishSite(settings, result.metafile);
}

/**
 * Builds the site once, synchronously: for CDK's local asset bundling,
 * whose hook cannot wait for a promise.
 *
 * @example
 * Source.asset(webDir, { bundling: { image, local: { tryBundle: (outDir) => (buildWebSync({ outDir, mode: 'production' }), true) } } });
 */
export function buildWebSync(options: WebBuildOptions): WebBuildResult {
  const settings = resolveOptions(options);
  prepareOutDir(settings);
  let result: esbuild.BuildResult<{ metafile: true }>;
  try {
    result = esbuild.buildSync(esbuildOptions(settings));
    if (hasServiceWorker(settings)) esbuild.buildSync(serviceWorkerOptions(settings));
  } catch (error) {
    throw buildFailure(error);
  }
  return finishSite(settings, result.metafile);
}

/** The outcome of one build in watch mode: the site, or why it could not be built. */
export type WebBuildOutcome =
  | { readonly ok: true; readonly result: WebBuildResult }
  | { readonly ok: false; readonly error: WebBuildError };

export interface WebWatcher {
  /** The first build's outcome. */
  readonly first: WebBuildOutcome;
  /** Stops watching and frees esbuild's context. */
  dispose(): Promise<void>;
}

/**
 * Builds the site, then rebuilds it whenever a source file, the page
 * template or a public file changes. A failed build is reported, not
 * thrown: the previous site stays in place until the next good one.
 *
 * @example
 * const watcher = await watchWeb({ outDir: '.local/web', mode: 'development', onBuild: (o) => o.ok || console.error(o.error.message) });
 * await watcher.dispose();
 */
export async function watchWeb(
  options: WebBuildOptions & { readonly onBuild?: (outcome: WebBuildOutcome) => void },
): Promise<WebWatcher> {
  const settings = resolveOptions(options);
  prepareOutDir(settings);
  let settleFirst: (outcome: WebBuildOutcome) => void = () => {};
  const first = new Promise<WebBuildOutcome>((resolve) => {
    settleFirst = resolve;
  });
  // The app and its service worker build in two contexts, each rebuilt when its own sources change; what
  // is reported is the site as a whole, once both have built: broken while either is.
  const withWorker = hasServiceWorker(settings);
  let site: WebBuildOutcome | undefined;
  let workerError: WebBuildError | null | undefined = withWorker ? undefined : null;
  const report = () => {
    if (site === undefined || workerError === undefined) return;
    const outcome: WebBuildOutcome = !site.ok
      ? site
      : workerError
        ? { ok: false, error: workerError }
        : { ok: true, result: { ...site.result, files: siteFiles(settings.outDir) } };
    settleFirst(outcome);
    options.onBuild?.(outcome);
  };
  const plugin: esbuild.Plugin = {
    name: 'parley-site',
    setup(build) {
      // esbuild watches what the bundle imports; the page and the public files are not imported.
      const entryFilter = new RegExp(`^${settings.entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
      build.onLoad({ filter: entryFilter }, () => ({
        contents: readFileSync(settings.entry, 'utf8'),
        loader: extname(settings.entry).slice(1) as esbuild.Loader,
        resolveDir: dirname(settings.entry),
        watchFiles: [settings.template, ...filesUnder(settings.publicDir)],
        // The template's folder too, so a public folder created later is picked up.
        watchDirs: [
          dirname(settings.template),
          ...(existsSync(settings.publicDir) ? [settings.publicDir, ...dirsUnder(settings.publicDir)] : []),
        ],
      }));
      build.onEnd((result) => {
        try {
          if (result.errors.length > 0) throw buildFailure({ errors: result.errors });
          site = { ok: true, result: finishSite(settings, result.metafile as esbuild.Metafile) };
        } catch (error) {
          site = { ok: false, error: error instanceof WebBuildError ? error : buildFailure(error) };
        }
        report();
      });
    },
  };
  const workerPlugin: esbuild.Plugin = {
    name: 'parley-service-worker',
    setup(build) {
      build.onEnd((result) => {
        workerError = result.errors.length > 0 ? buildFailure({ errors: result.errors }) : null;
        report();
      });
    },
  };
  const context = await esbuild.context({ ...esbuildOptions(settings), plugins: [plugin] });
  const workerContext = withWorker
    ? await esbuild.context({ ...serviceWorkerOptions(settings), plugins: [workerPlugin] })
    : undefined;
  await Promise.all([context.watch(), workerContext?.watch()]);
  return {
    first: await first,
    dispose: async () => {
      await Promise.all([context.dispose(), workerContext?.dispose()]);
    },
  };
}

/**
 * The page with its asset tags in place of the marker. Root-relative URLs,
 * so a client route such as `/c/123` loads the same files.
 *
 * The chunks the script imports are preloaded: otherwise the browser finds
 * them only once the script has arrived, a round trip later. The lazily
 * imported ones (the chat, behind sign-in) come with low priority, so they
 * do not hold up the first screen and are there when it asks for them:
 * their entry chunks import shared chunks of their own, which would
 * otherwise cost two round trips in a row.
 *
 * @example
 * renderIndexHtml(template, { script: '/assets/main-AB12.js', stylesheet: '/assets/main-CD34.css', modulePreloads: ['/assets/chunk-EF56.js'] });
 */
export function renderIndexHtml(template: string, assets: PageAssets): string {
  const markers = template.split(ASSETS_MARKER).length - 1;
  if (markers !== 1) {
    throw new WebBuildError(
      `The page template must hold ${ASSETS_MARKER} exactly once; it holds it ${markers} times`,
    );
  }
  for (const [pattern, what] of INLINE_CODE_PATTERNS) {
    if (pattern.test(template)) {
      throw new WebBuildError(
        `The page template holds ${what}, which the Content-Security-Policy blocks; move it into web/src`,
      );
    }
  }
  const tags = [
    ...(assets.stylesheet ? [`<link rel="stylesheet" href="${assets.stylesheet}" />`] : []),
    `<script type="module" src="${assets.script}"></script>`,
    ...(assets.modulePreloads ?? []).map((url) => `<link rel="modulepreload" href="${url}" />`),
    ...(assets.lazyModulePreloads ?? []).map(
      (url) => `<link rel="modulepreload" href="${url}" fetchpriority="low" />`,
    ),
  ];
  const indent = /([ \t]*)<!-- parley:assets -->/.exec(template)?.[1] ?? '';
  return template.replace(ASSETS_MARKER, tags.join(`\n${indent}`));
}

/** Every file under a built site, with its raw and gzipped size. */
export function siteFiles(outDir: string): WebFile[] {
  return filesUnder(outDir)
    .map((file) => {
      const body = readFileSync(file);
      return {
        path: relative(outDir, file).split(sep).join('/'),
        bytes: body.length,
        gzipBytes: gzipSync(body, { level: 9 }).length,
      };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

type Settings = Required<WebBuildOptions>;

function resolveOptions(options: WebBuildOptions): Settings {
  const entry = resolve(options.entry ?? DEFAULTS.entry);
  return {
    outDir: resolve(options.outDir),
    mode: options.mode,
    entry,
    template: resolve(options.template ?? DEFAULTS.template),
    publicDir: resolve(options.publicDir ?? DEFAULTS.publicDir),
    serviceWorker: resolve(options.serviceWorker ?? join(dirname(entry), 'sw.ts')),
  };
}

function hasServiceWorker(settings: Settings): boolean {
  return existsSync(settings.serviceWorker);
}

/** Empties the output folder, after making sure it holds none of the sources it would delete. */
function prepareOutDir(settings: Settings): void {
  for (const source of [
    settings.entry,
    settings.template,
    settings.publicDir,
    settings.serviceWorker,
    REPO_ROOT,
  ]) {
    if (source === settings.outDir || !relative(settings.outDir, source).startsWith('..')) {
      throw new WebBuildError(`Refusing to build into ${settings.outDir}: it holds ${source}`);
    }
  }
  rmSync(settings.outDir, { recursive: true, force: true });
  mkdirSync(settings.outDir, { recursive: true });
}

function esbuildOptions(settings: Settings) {
  const production = settings.mode === 'production';
  return {
    entryPoints: [settings.entry],
    outdir: settings.outDir,
    absWorkingDir: REPO_ROOT,
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
    bundle: true,
    format: 'esm',
    // Shared chunks for lazily imported modules, so a later `import()` costs one small request.
    splitting: true,
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': JSON.stringify(settings.mode) },
    minify: production,
    // Development names stay stable across rebuilds; production names change with content, so they cache for good.
    entryNames: production ? `${ASSETS_DIR}/[name]-[hash]` : `${ASSETS_DIR}/[name]`,
    chunkNames: `${ASSETS_DIR}/[name]-[hash]`,
    assetNames: `${ASSETS_DIR}/[name]-[hash]`,
    loader: {
      '.svg': 'file',
      '.png': 'file',
      '.jpg': 'file',
      '.webp': 'file',
      '.woff': 'file',
      '.woff2': 'file',
    },
    sourcemap: production ? false : 'linked',
    charset: 'utf8',
    metafile: true,
    write: true,
    logLevel: 'silent',
  } as const satisfies esbuild.BuildOptions;
}

/**
 * The service worker: one classic script (no `import`, which a classic worker cannot run), at a fixed URL,
 * with the app's target and mode.
 */
function serviceWorkerOptions(settings: Settings) {
  const production = settings.mode === 'production';
  return {
    entryPoints: [settings.serviceWorker],
    outfile: join(settings.outDir, SERVICE_WORKER_FILE),
    absWorkingDir: REPO_ROOT,
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': JSON.stringify(settings.mode) },
    minify: production,
    sourcemap: production ? false : 'linked',
    charset: 'utf8',
    write: true,
    logLevel: 'silent',
  } as const satisfies esbuild.BuildOptions;
}

/** Copies the public files and writes `index.html` from the template with the built assets' tags. */
function finishSite(settings: Settings, metafile: esbuild.Metafile): WebBuildResult {
  const urlOf = (output: string) =>
    `/${relative(settings.outDir, resolve(REPO_ROOT, output)).split(sep).join('/')}`;
  const entryOutput = Object.entries(metafile.outputs).find(
    ([, output]) =>
      output.entryPoint !== undefined && resolve(REPO_ROOT, output.entryPoint) === settings.entry,
  );
  if (!entryOutput) throw new WebBuildError(`esbuild wrote no bundle for ${settings.entry}`);
  const [scriptFile, { cssBundle }] = entryOutput;
  const chunks = chunksOf(metafile, scriptFile);
  const assets = {
    script: urlOf(scriptFile),
    ...(cssBundle ? { stylesheet: urlOf(cssBundle) } : {}),
    modulePreloads: chunks.eager.map(urlOf),
    lazyModulePreloads: chunks.lazy.map(urlOf),
  };
  if (existsSync(settings.publicDir)) {
    for (const name of readdirSync(settings.publicDir)) {
      if (name === ASSETS_DIR || name === 'index.html' || name === SERVICE_WORKER_FILE) {
        throw new WebBuildError(`${join(settings.publicDir, name)} would overwrite a built file`);
      }
    }
    cpSync(settings.publicDir, settings.outDir, { recursive: true });
  }
  const page = renderIndexHtml(readFileSync(settings.template, 'utf8'), assets);
  writeFileSync(join(settings.outDir, 'index.html'), page);
  return {
    files: siteFiles(settings.outDir),
    ...assets,
    ...(hasServiceWorker(settings) ? { serviceWorker: `/${SERVICE_WORKER_FILE}` } : {}),
  };
}

/**
 * The chunks `entry` imports (esbuild's output paths): `eager`, every chunk
 * it imports statically, directly or not; `lazy`, the chunks its own
 * `import()` calls load, with theirs. Chunks those load lazily in turn (a
 * cipher the E2EE module loads only for another suite) are left to load
 * when asked for.
 */
function chunksOf(metafile: esbuild.Metafile, entry: string): { eager: string[]; lazy: string[] } {
  const importsOf = (file: string, kind: esbuild.ImportKind) =>
    (metafile.outputs[file]?.imports ?? [])
      .filter((i) => i.kind === kind && !i.external && i.path in metafile.outputs)
      .map((i) => i.path);
  const withStaticImports = (roots: readonly string[], known: ReadonlySet<string>) => {
    const found = new Set<string>();
    const visit = (file: string) => {
      if (known.has(file) || found.has(file)) return;
      found.add(file);
      for (const imported of importsOf(file, 'import-statement')) visit(imported);
    };
    for (const root of roots) visit(root);
    return found;
  };
  const eager = withStaticImports(importsOf(entry, 'import-statement'), new Set([entry]));
  const lazy = withStaticImports(importsOf(entry, 'dynamic-import'), new Set([entry, ...eager]));
  return { eager: [...eager], lazy: [...lazy] };
}

function buildFailure(error: unknown): WebBuildError {
  const errors = (error as { errors?: esbuild.Message[] } | undefined)?.errors;
  if (errors && errors.length > 0) {
    const details = esbuild.formatMessagesSync(errors, { kind: 'error', color: false }).join('\n');
    return new WebBuildError(`The web client does not build:\n${details}`, { cause: error });
  }
  return new WebBuildError('The web client does not build', { cause: error });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

function dirsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isDirectory());
}
