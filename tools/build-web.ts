/**
 * `npm run build:web [-- --dev]`: bundles the web client into `web/dist` (the same build `cdk synth`
 * makes for the site's bucket) and prints each file's size, raw and gzipped.
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb, WEB_ROOT, WebBuildError, type WebBuildMode } from '../infra/web-build';

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(): Promise<void> {
  const outDir = resolve(WEB_ROOT, 'dist');
  const mode: WebBuildMode = process.argv.includes('--dev') ? 'development' : 'production';
  const started = performance.now();
  const { files } = await buildWeb({ outDir, mode });
  const width = Math.max(...files.map((file) => file.path.length));
  console.log(
    `Built the ${mode} web client into ${relative(process.cwd(), outDir) || '.'} in ${Math.round(performance.now() - started)} ms\n`,
  );
  for (const file of files) {
    console.log(
      `  ${file.path.padEnd(width)}  ${formatBytes(file.bytes).padStart(9)}  ${formatBytes(file.gzipBytes).padStart(9)} gzip`,
    );
  }
  const total = (key: 'bytes' | 'gzipBytes') => formatBytes(files.reduce((sum, file) => sum + file[key], 0));
  console.log(
    `  ${'total'.padEnd(width)}  ${total('bytes').padStart(9)}  ${total('gzipBytes').padStart(9)} gzip`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof WebBuildError ? error.message : error);
    process.exit(1);
  });
}
