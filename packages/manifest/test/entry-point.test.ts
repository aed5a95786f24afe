import { describe, expect, it } from 'vitest';
import { parseEntryPoint } from '../src/index.js';

describe('parseEntryPoint', () => {
  it.each([
    ['plugin:EchoTool', 'module', 'plugin', 'EchoTool'],
    ['lib/plugin:Echo', 'module', 'lib/plugin', 'Echo'],
    ['./plugin.js#EchoPlugin', 'path', './plugin.js', 'EchoPlugin'],
    ['./dist/index.js', 'path', './dist/index.js', undefined],
    ['./a/../b.mjs#X', 'path', './a/../b.mjs', 'X'],
    ['@acme/tools#Search', 'package', '@acme/tools', 'Search'],
    ['acme-tools', 'package', 'acme-tools', undefined],
    ['acme-tools/sub#$x', 'package', 'acme-tools/sub', '$x'],
  ])('%s', (text, style, specifier, exportName) => {
    expect(parseEntryPoint(text)).toEqual({
      ok: true,
      entryPoint: { style, specifier, exportName },
    });
  });

  it.each([
    ['', 'empty'],
    ['/abs/plugin.js#X', 'absolute'],
    ['C:/x/plugin.js', 'absolute'],
    ['../up.js#X', 'outside'],
    ['./a/../../up.js', 'outside'],
    ['plugin:X#Y', 'not both'],
    ['plugin:9bad', 'export name'],
    ['./p.js#not-valid', 'export name'],
    ['mod\\win:X', 'separator'],
    ['../mod:X', 'outside'],
    ['mod/../../x:X', 'module name'],
    ['Has Space', 'not an entry point'],
  ])('rejects %j', (text, words) => {
    const result = parseEntryPoint(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(words);
  });
});
