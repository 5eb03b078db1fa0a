import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStack } from './decode-stack';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A minified bundle of one function that throws, with its external map, as a function is built. */
async function bundled() {
  const dir = mkdtempSync(join(tmpdir(), 'parley-decode-'));
  dirs.push(dir);
  const source = join(dir, 'functions', 'boom.ts');
  mkdirSync(join(dir, 'functions'));
  writeFileSync(source, "export function boom(): never {\n  throw new Error('boom');\n}\n");
  const result = await build({
    entryPoints: [source],
    outfile: join(dir, 'out', 'index.mjs'),
    bundle: true,
    format: 'esm',
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    write: false,
  });
  const file = (suffix: string) => result.outputFiles.find((output) => output.path.endsWith(suffix));
  const code = file('index.mjs')?.text ?? '';
  const map = new SourceMap(JSON.parse(file('index.mjs.map')?.text ?? '{}'));
  return { code, map };
}

describe('decodeStack', () => {
  it("rewrites a logged frame's bundle position to the source line, keeping the rest of the line", async () => {
    const { code, map } = await bundled();
    const column = code.indexOf('throw') + 1;
    const stack = `Error: boom\n    at o (file:///var/task/index.mjs:1:${column})\n    at async Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1:3)`;
    const decoded = decodeStack(stack, map).split('\n');
    expect(decoded[0]).toBe('Error: boom');
    expect(decoded[1]).toBe('    at o (functions/boom.ts:2:3)');
  });

  it('leaves a position the map does not cover as it was', async () => {
    const { map } = await bundled();
    const line = '    at o (file:///var/task/index.mjs:99:1)';
    expect(decodeStack(line, map)).toBe(line);
  });

  it("leaves another bundle's frames alone when told which bundle the map is for", async () => {
    const { code, map } = await bundled();
    const column = code.indexOf('throw') + 1;
    const other = `    at o (/repo/.local/build/wsSend/index.mjs:1:${column})`;
    const own = `    at o (/repo/.local/build/httpChat/index.mjs:1:${column})`;
    expect(decodeStack(`${other}\n${own}`, map, '/httpChat/index.mjs')).toBe(
      `${other}\n    at o (functions/boom.ts:2:3)`,
    );
  });
});
