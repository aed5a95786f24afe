#!/usr/bin/env node
// The main job until the CLI lands: find every plugin folder under examples/,
// validate its manifest with @dagstack/plugin-manifest, and print a table.
// Exits 1 if any manifest is invalid.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findManifestFile, loadManifest, maskSecrets } from '@dagstack/plugin-manifest';

const root = fileURLToPath(new URL('..', import.meta.url));
const base = join(root, 'examples');
const json = process.argv.includes('--json');

async function pluginDirs(dir) {
  if (await findManifestFile(dir)) return [dir];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (entry.isDirectory() && entry.name !== 'node_modules')
      found.push(...(await pluginDirs(join(dir, entry.name))));
  }
  return found;
}

const rows = [];
for (const dir of await pluginDirs(base)) {
  const result = await loadManifest(dir);
  rows.push({ dir: relative(root, dir), result });
}

if (json) {
  console.log(
    JSON.stringify(maskSecrets(rows.map(({ dir, result }) => ({ dir, ...result }))), null, 2),
  );
} else {
  const table = rows.map(({ dir, result }) =>
    result.ok
      ? [
          dir,
          result.manifest.name,
          result.manifest.kind,
          result.manifest.runtime.join('+'),
          `ok${result.warnings.length ? ` (${result.warnings.length} warning(s))` : ''}`,
        ]
      : [dir, result.name ?? '?', '', '', `INVALID (${result.problems.length} problem(s))`],
  );
  const header = ['folder', 'name', 'kind', 'runtime', 'status'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(header));
  for (const row of table) console.log(line(row));
  for (const { result } of rows) {
    for (const p of result.ok ? result.warnings : result.problems) {
      console.log(
        `  ${result.ok ? 'warning' : 'error'}: ${relative(root, p.source)} ${p.pointer || '(document)'}: ${p.message}`,
      );
    }
  }
}
const invalid = rows.filter((r) => !r.result.ok).length;
console.log(`\n${rows.length} manifest(s) checked, ${invalid} invalid`);
process.exit(invalid > 0 ? 1 : 0);
