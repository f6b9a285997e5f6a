/**
 * Builds the web page (ui/) into dist/ui: one minified ES module bundle and its stylesheet,
 * named by content hash so the server may cache them for a year, and index.html pointing at
 * them. Run by `npm run build` after tsc (ui/ is type-checked by `tsc -p ui`). Prints the sizes.
 */
import { readFileSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(__dirname, '../..');
const out = join(root, 'dist/ui');

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: [join(root, 'ui/src/main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: out,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const files = Object.keys(result.metafile.outputs).map((f) => resolve(root, f));
  const js = files.find((f) => f.endsWith('.js'));
  const css = files.find((f) => f.endsWith('.css'));
  if (!js || !css) throw new Error(`UI_BUILD: expected a .js and a .css output, got ${files.join(', ')}`);
  const html = readFileSync(join(root, 'ui/index.html'), 'utf8').replace('@JS@', basename(js)).replace('@CSS@', basename(css));
  writeFileSync(join(out, 'index.html'), html);
  for (const f of [js, css, join(out, 'index.html')]) {
    const raw = statSync(f).size;
    const gz = gzipSync(readFileSync(f), { level: 9 }).length;
    console.log(`ui: ${basename(f)} ${raw} bytes, ${gz} gzip`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
