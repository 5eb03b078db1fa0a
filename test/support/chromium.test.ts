import { describe, expect, it } from 'vitest';
import {
  ChromiumNotFoundError,
  chromiumShowsNotifications,
  pickChromium,
  type Surroundings,
} from './chromium';

/** A machine where only `files` exist. */
function machine(
  files: readonly string[],
  env: Record<string, string | undefined> = {},
  platform: NodeJS.Platform = 'linux',
  arch = 'x64',
): Surroundings {
  return {
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env },
    platform,
    arch,
    isFile: (path) => files.includes(path),
  };
}

describe('picking the Chromium for the browser tests', () => {
  it('takes CHROMIUM_PATH before anything installed', () => {
    const choice = pickChromium(
      machine(['/opt/mine/chrome', '/usr/bin/chromium'], { CHROMIUM_PATH: '/opt/mine/chrome' }),
    );
    expect(choice).toEqual({
      kind: 'installed',
      executablePath: '/opt/mine/chrome',
      reason: 'CHROMIUM_PATH',
    });
  });

  it('refuses a CHROMIUM_PATH with no file there, rather than looking elsewhere', () => {
    expect(() => pickChromium(machine(['/usr/bin/chromium'], { CHROMIUM_PATH: '/nowhere/chrome' }))).toThrow(
      /CHROMIUM_PATH is \/nowhere\/chrome, and no file is there/,
    );
  });

  it('takes a Chromium on PATH before Chrome, and before the usual places', () => {
    const choice = pickChromium(
      machine(['/usr/local/bin/chromium', '/usr/bin/google-chrome', '/usr/bin/chromium']),
    );
    expect(choice).toMatchObject({ kind: 'installed', executablePath: '/usr/local/bin/chromium' });
  });

  it('finds Chrome where its installer puts it when PATH does not name it', () => {
    const choice = pickChromium(machine(['/opt/google/chrome/chrome'], { PATH: '/bin' }));
    expect(choice).toMatchObject({ kind: 'installed', executablePath: '/opt/google/chrome/chrome' });
  });

  it('falls back to the npm Chromium on Linux x64 with nothing installed, saying where it looked', () => {
    const choice = pickChromium(machine([]));
    expect(choice.kind).toBe('npm');
    expect(choice.reason).toMatch(
      /no Chromium, Chrome or Edge installed \(looked for chromium, .*\/usr\/bin\/chromium/,
    );
  });

  it('takes the npm Chromium over an installed one when PARLEY_CHROMIUM=npm', () => {
    expect(pickChromium(machine(['/usr/bin/chromium'], { PARLEY_CHROMIUM: 'npm' }))).toEqual({
      kind: 'npm',
      reason: 'PARLEY_CHROMIUM=npm',
    });
  });

  it('refuses the npm Chromium when PARLEY_CHROMIUM=system and nothing is installed', () => {
    expect(() => pickChromium(machine([], { PARLEY_CHROMIUM: 'system' }))).toThrow(ChromiumNotFoundError);
  });

  it('refuses contradicting or unknown choices', () => {
    expect(() =>
      pickChromium(
        machine(['/opt/mine/chrome'], { CHROMIUM_PATH: '/opt/mine/chrome', PARLEY_CHROMIUM: 'npm' }),
      ),
    ).toThrow(/ask for two different browsers/);
    expect(() => pickChromium(machine([], { PARLEY_CHROMIUM: 'firefox' }))).toThrow(
      /set it to npm or system/,
    );
  });

  it('on arm64 Linux with nothing installed, says the npm Chromium is x64 only and what to install', () => {
    expect(() => pickChromium(machine([], {}, 'linux', 'arm64'))).toThrow(
      /built for Linux x64 only, not linux arm64: install your distribution's Chromium \(Debian, Ubuntu: apt-get install chromium/,
    );
  });

  it('finds Chrome, Chromium or Edge in /Applications on macOS', () => {
    const chrome = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    const edge = '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge';
    expect(pickChromium(machine([edge, chrome], {}, 'darwin', 'arm64'))).toMatchObject({
      executablePath: chrome,
    });
    expect(pickChromium(machine([edge], {}, 'darwin', 'arm64'))).toMatchObject({ executablePath: edge });
    expect(() => pickChromium(machine([], {}, 'darwin', 'arm64'))).toThrow(
      /install Google Chrome or Microsoft Edge, or set CHROMIUM_PATH/,
    );
  });

  it('finds Chrome before Edge in the Windows install folders', () => {
    const env = {
      PATH: 'C:\\Windows\\system32',
      PROGRAMFILES: 'C:\\Program Files',
      'PROGRAMFILES(X86)': 'C:\\Program Files (x86)',
      LOCALAPPDATA: 'C:\\Users\\alice\\AppData\\Local',
    };
    const chrome = 'C:\\Users\\alice\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe';
    const edge = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe';
    expect(pickChromium(machine([edge, chrome], env, 'win32'))).toMatchObject({ executablePath: chrome });
    expect(pickChromium(machine([edge], env, 'win32'))).toMatchObject({ executablePath: edge });
  });

  it('expects notifications from an installed browser, and none from the npm one (a headless shell)', () => {
    expect(chromiumShowsNotifications(machine(['/usr/bin/chromium']))).toBe(true);
    expect(chromiumShowsNotifications(machine(['/usr/bin/chromium'], { PARLEY_CHROMIUM: 'npm' }))).toBe(
      false,
    );
    expect(chromiumShowsNotifications(machine([]))).toBe(false);
  });
});
