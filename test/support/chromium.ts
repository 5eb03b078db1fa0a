/**
 * Which Chromium the browser tests and benchmarks drive, and how to start it. In this order:
 *
 * 1. `CHROMIUM_PATH`, if set;
 * 2. a Chromium, Chrome or Edge installed on the machine (on PATH, or where its installer puts it);
 * 3. the headless Chromium that `@sparticuz/chromium` ships inside its npm package, with the NSS libraries
 *    it packs and emoji, CJK and Arabic fonts from npm (`@fontsource/noto-color-emoji`,
 *    `@fontsource-variable/noto-sans-sc`, `@fontsource-variable/noto-sans-arabic`: the scripts the tests'
 *    messages use), so `npm install && npm test` needs nothing else on Linux x64.
 *
 * `PARLEY_CHROMIUM=npm` skips step 2; `PARLEY_CHROMIUM=system` refuses step 3.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, posix, relative, win32 } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

/** What {@link pickChromium} decided, and why, in words for the log of a test run. */
export type ChromiumChoice =
  | { readonly kind: 'installed'; readonly executablePath: string; readonly reason: string }
  | { readonly kind: 'npm'; readonly reason: string };

/** What {@link pickChromium} looks at: the environment, the platform and which files exist. */
export interface Surroundings {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  readonly isFile: (path: string) => boolean;
}

/** No Chromium can be had, or the variables that choose one contradict each other. */
export class ChromiumNotFoundError extends Error {
  override readonly name = 'ChromiumNotFoundError';
}

/** A Chromium ready to launch with playwright-core. */
export interface ChromiumLaunch {
  readonly executablePath: string;
  /** The browser's environment, where it needs more than ours (the npm one: its libraries and fonts). */
  readonly env: Record<string, string | undefined> | undefined;
  /** One line: which Chromium, and why. */
  readonly description: string;
}

const NPM_PACKAGE = '@sparticuz/chromium';
const EMOJI_FONT_PACKAGE = '@fontsource/noto-color-emoji';
const CJK_FONT_PACKAGE = '@fontsource-variable/noto-sans-sc';
const ARABIC_FONT_PACKAGE = '@fontsource-variable/noto-sans-arabic';

/** Executable names looked for on PATH, the most specific first. */
const NAMES_ON_PATH: Partial<Record<NodeJS.Platform, readonly string[]>> = {
  linux: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge'],
  darwin: ['chromium', 'google-chrome'],
  win32: ['chrome.exe', 'msedge.exe'],
};

/** Where installers put the browser, for a machine whose PATH does not name it. */
function usualPlaces(platform: NodeJS.Platform, env: Surroundings['env']): string[] {
  switch (platform) {
    case 'linux':
      return [
        '/usr/bin/chromium',
        '/usr/bin/chromium-browser',
        '/usr/bin/google-chrome',
        '/opt/google/chrome/chrome',
        '/snap/bin/chromium',
        '/opt/microsoft/msedge/msedge',
      ];
    case 'darwin': {
      const folders = ['/Applications', ...(env.HOME ? [posix.join(env.HOME, 'Applications')] : [])];
      return ['Google Chrome', 'Chromium', 'Microsoft Edge'].flatMap((app) =>
        folders.map((folder) => `${folder}/${app}.app/Contents/MacOS/${app}`),
      );
    }
    case 'win32': {
      const folders = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter(
        (folder): folder is string => Boolean(folder),
      );
      return [
        ['Google', 'Chrome', 'Application', 'chrome.exe'],
        ['Chromium', 'Application', 'chrome.exe'],
        ['Microsoft', 'Edge', 'Application', 'msedge.exe'],
      ].flatMap((parts) => folders.map((folder) => win32.join(folder, ...parts)));
    }
    default:
      return [];
  }
}

/** Every place an installed Chromium, Chrome or Edge may be, in the order they are tried. */
export function installedCandidates(surroundings: Pick<Surroundings, 'env' | 'platform'>): string[] {
  const { env, platform } = surroundings;
  const path = platform === 'win32' ? win32 : posix;
  const folders = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const onPath = (NAMES_ON_PATH[platform] ?? []).flatMap((name) =>
    folders.map((folder) => path.join(folder, name)),
  );
  return [...new Set([...onPath, ...usualPlaces(platform, env)])];
}

/**
 * Picks the Chromium to drive (see the module's comment for the order). Pure: the surroundings are
 * passed in, so the order can be tested on any machine.
 *
 * @throws {ChromiumNotFoundError} when none can be had, or the variables contradict each other.
 */
export function pickChromium(surroundings: Surroundings): ChromiumChoice {
  const { env, platform, arch, isFile } = surroundings;
  const forced = env.PARLEY_CHROMIUM || undefined;
  if (forced !== undefined && forced !== 'npm' && forced !== 'system') {
    throw new ChromiumNotFoundError(`PARLEY_CHROMIUM is "${forced}": set it to npm or system, or unset it`);
  }
  const given = env.CHROMIUM_PATH || undefined;
  if (given !== undefined) {
    if (forced === 'npm') {
      throw new ChromiumNotFoundError(
        `CHROMIUM_PATH (${given}) and PARLEY_CHROMIUM=npm ask for two different browsers: unset one`,
      );
    }
    if (!isFile(given)) throw new ChromiumNotFoundError(`CHROMIUM_PATH is ${given}, and no file is there`);
    return { kind: 'installed', executablePath: given, reason: 'CHROMIUM_PATH' };
  }
  const looked = `looked for ${(NAMES_ON_PATH[platform] ?? []).join(', ') || 'nothing'} on PATH and in ${usualPlaces(platform, env).join(', ') || 'no usual places'}`;
  if (forced !== 'npm') {
    const found = installedCandidates(surroundings).find(isFile);
    if (found !== undefined) {
      return { kind: 'installed', executablePath: found, reason: 'installed on this machine' };
    }
    if (forced === 'system') {
      throw new ChromiumNotFoundError(
        `PARLEY_CHROMIUM=system, and no Chromium, Chrome or Edge is installed (${looked})`,
      );
    }
  }
  if (platform !== 'linux' || arch !== 'x64') {
    const install =
      platform === 'linux'
        ? `install your distribution's Chromium (Debian, Ubuntu: apt-get install chromium fonts-noto-color-emoji fonts-noto-cjk)`
        : 'install Google Chrome or Microsoft Edge';
    throw new ChromiumNotFoundError(
      `${forced === 'npm' ? 'PARLEY_CHROMIUM=npm' : `No Chromium, Chrome or Edge is installed (${looked})`}, and the Chromium from npm (${NPM_PACKAGE}) is built for Linux x64 only, not ${platform} ${arch}: ${install}, or set CHROMIUM_PATH to a Chromium-based browser's executable`,
    );
  }
  return {
    kind: 'npm',
    reason: forced === 'npm' ? 'PARLEY_CHROMIUM=npm' : `no Chromium, Chrome or Edge installed (${looked})`,
  };
}

/**
 * Whether the Chromium picked here shows notifications. The npm one is a headless shell, which has no
 * notification service: `Notification.permission` stays "denied" whatever is granted, so the tests of
 * notifications and Web Push skip there. Where none can be had, true: those tests then fail at launch,
 * saying why.
 */
export function chromiumShowsNotifications(surroundings: Surroundings = currentSurroundings()): boolean {
  try {
    return pickChromium(surroundings).kind === 'installed';
  } catch {
    return true;
  }
}

/** This process's surroundings, for {@link pickChromium}. */
export function currentSurroundings(): Surroundings {
  return {
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    isFile: (path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    },
  };
}

let launch: Promise<ChromiumLaunch> | undefined;

/**
 * The Chromium to launch, picked once per process; the npm one is unpacked on first use (a few seconds)
 * into `node_modules/.cache/parley-chromium/` and reused after.
 */
export function chromiumToLaunch(): Promise<ChromiumLaunch> {
  launch ??= prepare(pickChromium(currentSurroundings()));
  return launch;
}

async function prepare(choice: ChromiumChoice): Promise<ChromiumLaunch> {
  if (choice.kind === 'installed') {
    return {
      executablePath: choice.executablePath,
      env: undefined,
      description: `Chromium: ${choice.executablePath} (${choice.reason})`,
    };
  }
  const unpacked = await unpackNpmChromium();
  return {
    executablePath: join(unpacked.folder, 'chromium'),
    env: {
      ...process.env,
      // Its NSS, NSPR and expat, which a machine without a browser installed may lack.
      LD_LIBRARY_PATH: [join(unpacked.folder, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_FILE: process.env.FONTCONFIG_FILE ?? join(unpacked.folder, 'fonts.conf'),
    },
    description: `Chromium: ${NPM_PACKAGE} ${unpacked.version} from npm, in ${relative(process.cwd(), unpacked.folder)} (${unpacked.unpackedInMs === undefined ? 'unpacked before' : `unpacked now in ${(unpacked.unpackedInMs / 1000).toFixed(1)} s`}), because ${choice.reason}; it shows no notifications, so the tests of notifications and Web Push are skipped`,
  };
}

interface Unpacked {
  readonly folder: string;
  readonly version: string;
  /** How long this process took to unpack it; undefined when it was there already. */
  readonly unpackedInMs: number | undefined;
}

async function unpackNpmChromium(): Promise<Unpacked> {
  const require = createRequire(import.meta.url);
  const packageFolder = (name: string) => dirname(require.resolve(`${name}/package.json`));
  // @sparticuz/chromium exports no package.json; its entry is build/index.js.
  const chromiumFolder = join(dirname(require.resolve(NPM_PACKAGE)), '..');
  const versionOf = async (folder: string): Promise<string> => {
    const { version } = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    if (typeof version !== 'string') throw new Error(`${folder}/package.json has no version`);
    return version;
  };
  const emojiFolder = packageFolder(EMOJI_FONT_PACKAGE);
  const cjkFolder = packageFolder(CJK_FONT_PACKAGE);
  const arabicFolder = packageFolder(ARABIC_FONT_PACKAGE);
  const version = await versionOf(chromiumFolder);
  const key = [version, ...(await Promise.all([emojiFolder, cjkFolder, arabicFolder].map(versionOf)))].join(
    '-',
  );
  // node_modules/@sparticuz/chromium → node_modules/.cache
  const folder = join(chromiumFolder, '..', '..', '.cache', 'parley-chromium', key);
  if (existsSync(join(folder, 'ready'))) return { folder, version, unpackedInMs: undefined };

  const started = Date.now();
  // Unpacked beside the final folder and renamed into place, so two test workers starting at once, or a
  // run stopped half way, never leave a half-written browser that looks ready.
  const staging = `${folder}.${process.pid}-${randomUUID()}`;
  await mkdir(staging, { recursive: true });
  try {
    const bin = join(chromiumFolder, 'bin');
    await Promise.all([
      pipeline(
        createReadStream(join(bin, 'chromium.br')),
        createBrotliDecompress(),
        createWriteStream(join(staging, 'chromium'), { mode: 0o755 }),
      ),
      // SwiftShader's libraries, which the browser loads from its own folder.
      untarBrotli(join(bin, 'swiftshader.tar.br'), staging),
      // lib/: NSS, NSPR and expat, built for Amazon Linux; the package itself unpacks them only there.
      untarBrotli(join(bin, 'al2023.tar.br'), staging),
      // fonts/Open_Sans/: a Latin face for a machine that has no fonts at all.
      untarBrotli(join(bin, 'fonts.tar.br'), staging),
      unpackFonts(
        [
          join(emojiFolder, 'files', 'noto-color-emoji-emoji-400-normal.woff2'),
          join(arabicFolder, 'files', 'noto-sans-arabic-arabic-wght-normal.woff2'),
          // The numbered files are the CJK slices of the font; its Latin ones would change how Latin text looks.
          ...(await readdir(join(cjkFolder, 'files')))
            .filter((name) => /^noto-sans-sc-\d+-wght-normal\.woff2$/.test(name))
            .map((name) => join(cjkFolder, 'files', name)),
        ],
        join(staging, 'fonts', 'noto'),
      ),
    ]);
    await writeFile(join(staging, 'fonts.conf'), fontconfigFor(folder));
    await writeFile(join(staging, 'ready'), '');
    await rename(staging, folder).catch(async (error: NodeJS.ErrnoException) => {
      // Another process got there first: its copy is as good.
      if (!existsSync(join(folder, 'ready'))) throw error;
      await rm(staging, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { folder, version, unpackedInMs: Date.now() - started };
}

/**
 * Unpacks a Brotli-compressed tar archive with the system's tar (every Linux has one), through a file: tar
 * stops reading at the archive's end marker, which breaks a pipe still writing the padding after it.
 */
async function untarBrotli(archive: string, into: string): Promise<void> {
  const tarFile = join(into, `${basename(archive, '.br')}.${randomUUID()}`);
  await pipeline(createReadStream(archive), createBrotliDecompress(), createWriteStream(tarFile));
  try {
    await run('tar', ['-x', '-f', tarFile, '-C', into]);
  } finally {
    await rm(tarFile, { force: true });
  }
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/**
 * Turns WOFF2 web fonts into TrueType files: the FreeType inside the npm Chromium reads neither WOFF
 * nor WOFF2 from a font folder (tried: every glyph came out as a missing one).
 */
async function unpackFonts(files: readonly string[], into: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const decompress = require('wawoff2/decompress.js') as (woff2: Uint8Array) => Promise<Uint8Array>;
  await mkdir(into, { recursive: true });
  for (const file of files) {
    await writeFile(join(into, `${basename(file, '.woff2')}.ttf`), await decompress(await readFile(file)));
  }
}

/** Fontconfig for the npm Chromium: the system's own configuration and fonts, then those from npm. */
function fontconfigFor(folder: string): string {
  const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- Written by test/support/chromium.ts. -->
<fontconfig>
  <cachedir>${xml(join(folder, 'fontconfig-cache'))}</cachedir>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>/usr/share/fonts</dir>
  <dir>/usr/local/share/fonts</dir>
  <dir>${xml(join(folder, 'fonts'))}</dir>
</fontconfig>
`;
}
