import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ASSETS_MARKER,
  buildWeb,
  buildWebSync,
  renderIndexHtml,
  WebBuildError,
  type WebBuildOutcome,
  watchWeb,
} from './web-build';

const TEMPLATE = `<!doctype html>\n<html><head>\n    ${ASSETS_MARKER}\n</head><body><div id="app"></div></body></html>\n`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A small app beside its own page and public folder, so these tests do not
 * follow web/src. Outside the repository nothing resolves from node_modules:
 * the real client's imports are covered by its own test below.
 */
function fixture() {
  const root = mkdtempSync(join(tmpdir(), 'parley-web-'));
  dirs.push(root);
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, 'public'));
  writeFileSync(join(root, 'src', 'styles.css'), 'body { color: rebeccapurple; }\n');
  writeFileSync(join(root, 'src', 'later.ts'), 'export const later = "loaded later";\n');
  writeFileSync(
    join(root, 'src', 'main.ts'),
    [
      "import './styles.css';",
      "document.body.textContent = 'hello from the fixture';",
      "void import('./later').then((m) => console.log(m.later));",
    ].join('\n'),
  );
  writeFileSync(join(root, 'index.html'), TEMPLATE);
  writeFileSync(join(root, 'public', 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return {
    root,
    options: {
      entry: join(root, 'src', 'main.ts'),
      template: join(root, 'index.html'),
      publicDir: join(root, 'public'),
    },
    outDir: join(root, 'dist'),
  };
}

/** The script and stylesheet URLs a built page references. */
function referencedAssets(html: string) {
  return {
    scripts: [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*><\/script>/g)].map((m) => m[1] as string),
    stylesheets: [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1] as string),
  };
}

describe('buildWeb in production mode', () => {
  it('writes index.html pointing at content-hashed files that exist, and nothing inline', async () => {
    const { options, outDir } = fixture();
    const result = await buildWeb({ ...options, outDir, mode: 'production' });
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const { scripts, stylesheets } = referencedAssets(html);

    expect(scripts).toEqual([result.script]);
    expect(stylesheets).toEqual([result.stylesheet]);
    for (const url of [...scripts, ...stylesheets]) {
      expect(url).toMatch(/^\/assets\/main-[A-Z0-9]{8}\.(js|css)$/);
      expect(existsSync(join(outDir, url)), url).toBe(true);
    }
    expect(html).toContain('<script type="module" src="/assets/main-');
    expect(html).not.toContain(ASSETS_MARKER);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=/);
  });

  it('minifies, skips source maps, splits lazy imports into hashed chunks and copies public files', async () => {
    const { options, outDir } = fixture();
    const { files } = await buildWeb({ ...options, outDir, mode: 'production' });
    const paths = files.map((file) => file.path);
    expect(paths).toContain('favicon.svg');
    expect(paths).toContain('index.html');
    expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
    expect(paths.some((path) => /^assets\/later-[A-Z0-9]{8}\.js$/.test(path))).toBe(true);
    const script = readFileSync(
      join(outDir, paths.find((p) => /^assets\/main-.*\.js$/.test(p)) as string),
      'utf8',
    );
    expect(script.split('\n').length).toBeLessThan(5);
  });

  it('preloads the chunks the script imports, and those it imports later with low priority', async () => {
    const { options, outDir } = fixture();
    const source = join(options.entry, '..');
    writeFileSync(join(source, 'shared.ts'), 'export const shared = () => "shared by main and later";\n');
    writeFileSync(
      join(source, 'later.ts'),
      "import { shared } from './shared';\nexport const later = shared();\n",
    );
    writeFileSync(
      options.entry,
      [
        "import { shared } from './shared';",
        'document.body.textContent = shared();',
        "void import('./later').then((m) => console.log(m.later));",
      ].join('\n'),
    );
    const result = await buildWeb({ ...options, outDir, mode: 'production' });
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');

    expect(result.modulePreloads).toEqual([expect.stringMatching(/^\/assets\/chunk-[A-Z0-9]{8}\.js$/)]);
    expect(result.lazyModulePreloads).toEqual([expect.stringMatching(/^\/assets\/later-[A-Z0-9]{8}\.js$/)]);
    for (const url of result.modulePreloads) {
      expect(html).toContain(`<link rel="modulepreload" href="${url}" />`);
      expect(existsSync(join(outDir, url)), url).toBe(true);
    }
    for (const url of result.lazyModulePreloads) {
      expect(html).toContain(`<link rel="modulepreload" href="${url}" fetchpriority="low" />`);
      expect(existsSync(join(outDir, url)), url).toBe(true);
    }
  });

  it('reports every file with its raw and gzipped size', async () => {
    const { options, outDir } = fixture();
    const { files } = await buildWeb({ ...options, outDir, mode: 'production' });
    for (const file of files) {
      expect(file.bytes, file.path).toBe(readFileSync(join(outDir, file.path)).length);
      expect(file.gzipBytes, file.path).toBeGreaterThan(0);
    }
  });

  it('empties the output folder first, so no stale hashed file is shipped', async () => {
    const { options, outDir } = fixture();
    mkdirSync(join(outDir, 'assets'), { recursive: true });
    writeFileSync(join(outDir, 'assets', 'main-OLDHASH0.js'), 'stale');
    const { files } = await buildWeb({ ...options, outDir, mode: 'production' });
    expect(files.map((file) => file.path)).not.toContain('assets/main-OLDHASH0.js');
  });

  it('builds the same site synchronously, for cdk synth', async () => {
    const { options, outDir } = fixture();
    writeFileSync(join(options.entry, '..', 'sw.ts'), "self.addEventListener('push', () => {});\n");
    const result = buildWebSync({ ...options, outDir, mode: 'production' });
    expect(existsSync(join(outDir, result.script))).toBe(true);
    expect(result.serviceWorker).toBe('/sw.js');
    expect(readFileSync(join(outDir, 'sw.js'), 'utf8')).toContain('push');
  });

  it('bundles the service worker beside the entry into one classic script at /sw.js, never hashed', async () => {
    const { options, outDir } = fixture();
    // The worker shares a module with the app, which the app's build splits into a chunk of its own.
    writeFileSync(
      join(options.entry, '..', 'sw.ts'),
      "import { later } from './later';\nconsole.log(later);\n",
    );
    const result = await buildWeb({ ...options, outDir, mode: 'production' });
    expect(result.serviceWorker).toBe('/sw.js');
    expect(result.files.map((file) => file.path)).toContain('sw.js');
    const worker = readFileSync(join(outDir, 'sw.js'), 'utf8');
    expect(worker).toContain('loaded later');
    // A classic worker cannot run `import` or `export`.
    expect(worker).not.toMatch(/^\s*(import|export)\b|\bimport\s*\(/m);
    // The page does not load it: the app registers it.
    expect(readFileSync(join(outDir, 'index.html'), 'utf8')).not.toContain('sw.js');
  });

  it('builds no service worker for an app without one', async () => {
    const { options, outDir } = fixture();
    const result = await buildWeb({ ...options, outDir, mode: 'production' });
    expect(result.serviceWorker).toBeUndefined();
    expect(existsSync(join(outDir, 'sw.js'))).toBe(false);
  });

  it('builds the real web client', async () => {
    const { outDir } = fixture();
    const result = await buildWeb({ outDir, mode: 'production' });
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const { scripts, stylesheets } = referencedAssets(html);
    expect(scripts).toEqual([result.script]);
    for (const url of [...scripts, ...stylesheets]) expect(existsSync(join(outDir, url)), url).toBe(true);
    // Its service worker, for Web Push, at the root, small, with no module syntax.
    expect(result.serviceWorker).toBe('/sw.js');
    const worker = readFileSync(join(outDir, 'sw.js'), 'utf8');
    expect(worker).toContain('showNotification');
    expect(worker).not.toMatch(/^\s*(import|export)\b/m);
    expect(worker).not.toContain('_zod');
    // The chat (MLS, zod, the model, its screens) is loaded lazily, so the sign-in form does not wait for it.
    expect(result.lazyModulePreloads.some((url) => /\/assets\/chat-[A-Z0-9]{8}\.js$/.test(url))).toBe(true);
    expect(result.modulePreloads.some((url) => /chat-/.test(url))).toBe(false);
    // None of zod's code (its schemas keep their state under `_zod`) is in what the first screen loads.
    for (const url of [result.script, ...result.modulePreloads]) {
      expect(readFileSync(join(outDir, url), 'utf8'), url).not.toContain('_zod');
    }
    // The chat builds its schemas with zod/mini alone (zod names each schema class in a string: classic's
    // `ZodObject`, mini's `ZodMiniObject`), with English messages.
    const chat = result.lazyModulePreloads.find((url) => /\/assets\/chat-/.test(url)) ?? '';
    const chatCode = readFileSync(join(outDir, chat), 'utf8');
    expect(chatCode).toContain('"ZodMiniObject"');
    expect(chatCode).not.toContain('"ZodObject"');
    expect(chatCode).toContain('Too small: expected');
  });
});

describe('buildWeb in development mode', () => {
  it('keeps stable names and links source maps', async () => {
    const { options, outDir } = fixture();
    const result = await buildWeb({ ...options, outDir, mode: 'development' });
    expect(result).toMatchObject({ script: '/assets/main.js', stylesheet: '/assets/main.css' });
    expect(readFileSync(join(outDir, 'assets', 'main.js'), 'utf8')).toContain(
      '//# sourceMappingURL=main.js.map',
    );
    expect(existsSync(join(outDir, 'assets', 'main.js.map'))).toBe(true);
  });
});

describe('build failures', () => {
  it('fails with the compiler message when the app does not compile', async () => {
    const { options, outDir } = fixture();
    writeFileSync(options.entry, 'import { missing } from "./nowhere";\n');
    await expect(buildWeb({ ...options, outDir, mode: 'production' })).rejects.toThrow(
      /Could not resolve "\.\/nowhere"/,
    );
  });

  it('refuses to build into a folder that holds the sources', async () => {
    const { root, options } = fixture();
    await expect(buildWeb({ ...options, outDir: root, mode: 'production' })).rejects.toThrow(WebBuildError);
    expect(existsSync(options.entry)).toBe(true);
  });
});

describe('renderIndexHtml', () => {
  const assets = { script: '/assets/main-AAAA1111.js' };

  it.each([
    ['an inline script', '<script>alert(1)</script>'],
    ['a style element', '<style>body{}</style>'],
    ['a style attribute', '<div style="color:red"></div>'],
    ['an event handler', '<body onload="go()"></body>'],
  ])('refuses a template with %s, which the CSP would block', (_, snippet) => {
    expect(() => renderIndexHtml(`${TEMPLATE}${snippet}`, assets)).toThrow(WebBuildError);
  });

  it('refuses a template without the marker, or with two', () => {
    expect(() => renderIndexHtml('<html></html>', assets)).toThrow(/exactly once/);
    expect(() => renderIndexHtml(`${ASSETS_MARKER}${ASSETS_MARKER}`, assets)).toThrow(/exactly once/);
  });
});

describe('watchWeb', () => {
  it('rebuilds when a source or the page changes, reports failures and stops when disposed', async () => {
    const { options, outDir } = fixture();
    const outcomes: WebBuildOutcome[] = [];
    let notify = () => {};
    const next = () =>
      new Promise<WebBuildOutcome>((resolve) => {
        notify = () => resolve(outcomes.at(-1) as WebBuildOutcome);
      });
    const watcher = await watchWeb({
      ...options,
      outDir,
      mode: 'development',
      onBuild: (outcome) => {
        outcomes.push(outcome);
        notify();
      },
    });
    try {
      expect(watcher.first.ok).toBe(true);

      let rebuilt = next();
      writeFileSync(options.entry, "document.title = 'edited';\n");
      expect((await rebuilt).ok).toBe(true);
      expect(readFileSync(join(outDir, 'assets', 'main.js'), 'utf8')).toContain('edited');

      rebuilt = next();
      writeFileSync(options.template, TEMPLATE.replace('<head>', '<head><title>Retitled</title>'));
      expect((await rebuilt).ok).toBe(true);
      expect(readFileSync(join(outDir, 'index.html'), 'utf8')).toContain('Retitled');

      rebuilt = next();
      writeFileSync(options.entry, 'import "./nowhere";\n');
      const failed = await rebuilt;
      expect(failed.ok).toBe(false);
      expect(failed.ok ? '' : failed.error.message).toMatch(/nowhere/);
    } finally {
      await watcher.dispose();
    }
    const count = outcomes.length;
    writeFileSync(options.entry, "document.title = 'after dispose';\n");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(outcomes).toHaveLength(count);
  });

  it('rebuilds the service worker when its source changes, and reports it broken', async () => {
    const { options, outDir } = fixture();
    const worker = join(options.entry, '..', 'sw.ts');
    writeFileSync(worker, "console.log('first worker');\n");
    let notify: (outcome: WebBuildOutcome) => void = () => {};
    const next = () =>
      new Promise<WebBuildOutcome>((resolve) => {
        notify = resolve;
      });
    const watcher = await watchWeb({ ...options, outDir, mode: 'development', onBuild: (o) => notify(o) });
    try {
      expect(watcher.first.ok).toBe(true);
      expect(watcher.first.ok && watcher.first.result.files.map((f) => f.path)).toContain('sw.js');
      expect(readFileSync(join(outDir, 'sw.js'), 'utf8')).toContain('first worker');

      let rebuilt = next();
      writeFileSync(worker, "console.log('second worker');\n");
      expect((await rebuilt).ok).toBe(true);
      expect(readFileSync(join(outDir, 'sw.js'), 'utf8')).toContain('second worker');

      rebuilt = next();
      writeFileSync(worker, 'import "./nowhere";\n');
      const failed = await rebuilt;
      expect(failed.ok ? '' : failed.error.message).toMatch(/nowhere/);

      // The app rebuilt meanwhile is still a broken site: its worker is.
      rebuilt = next();
      writeFileSync(options.entry, "document.title = 'edited';\n");
      expect((await rebuilt).ok).toBe(false);
    } finally {
      await watcher.dispose();
    }
  });
});
