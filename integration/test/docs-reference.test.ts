// The reference pages against the code: CLI flags against each command's
// --help, error classes and codes against the packages' exports, manifest
// fields against the JSON Schema, plugin states against PLUGIN_STATES.

import * as codegen from '@dagstack/hookspec-codegen';
import * as api from '@dagstack/plugin-api';
import { runCli } from '@dagstack/plugin-cli';
import * as contractSuite from '@dagstack/plugin-contract-suite';
import * as dispatch from '@dagstack/plugin-dispatch';
import { manifestJsonSchema } from '@dagstack/plugin-manifest';
import * as resources from '@dagstack/plugin-resources';
import * as httpRuntime from '@dagstack/plugin-runtime-mcp-http';
import * as system from '@dagstack/plugin-system';
import { describe, expect, it } from 'vitest';
import { cliLines, DOCS, docPages, pageName, readPage } from './docs-harness.js';

const COMMANDS = ['validate', 'list', 'call', 'serve', 'contract', 'codegen', 'init'] as const;
const FLAG = /(?<![\w-])--[a-z][a-z-]*/g;

async function help(command: string): Promise<string> {
  let out = '';
  const code = await runCli([command, '--help'], {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: () => true },
  });
  expect(code, `${command} --help`).toBe(0);
  return out;
}

function flagsOf(text: string): Set<string> {
  return new Set(text.match(FLAG) ?? []);
}

/** Flags every command but codegen accepts without listing them in its usage. */
function common(command: string): string[] {
  return command === 'codegen' ? ['--help'] : ['--help', '--json', '--log-level'];
}

describe('docs/reference/cli.md', () => {
  const page = readPage(`${DOCS}/reference/cli.md`);

  for (const command of COMMANDS) {
    it(`documents exactly the flags of ${command}`, async () => {
      const heading = `## \`dagstack-plugins ${command}\``;
      const start = page.indexOf(heading);
      expect(start, heading).toBeGreaterThanOrEqual(0);
      const next = page.indexOf('\n## ', start + heading.length);
      const section = page.slice(start, next === -1 ? undefined : next);
      const documented = flagsOf(section);
      const real = flagsOf(await help(command));
      expect(
        [...real].filter((f) => !documented.has(f)),
        'flags missing from the page',
      ).toEqual([]);
      const allowed = new Set([...real, ...common(command)]);
      expect(
        [...documented].filter((f) => !allowed.has(f)),
        'flags the command does not have',
      ).toEqual([]);
    });
  }

  it('every dagstack-plugins line in docs/ uses a real command and real flags', async () => {
    const helps = new Map<string, Set<string>>();
    for (const command of COMMANDS)
      helps.set(command, new Set([...flagsOf(await help(command)), ...common(command)]));
    const wrong: string[] = [];
    for (const path of docPages()) {
      for (const line of cliLines(readPage(path))) {
        const command = line.words[1];
        if (command === undefined || command.startsWith('<')) continue;
        const known = helps.get(command);
        if (known === undefined) {
          wrong.push(`${pageName(path)}: unknown command: ${line.text}`);
          continue;
        }
        for (const flag of flagsOf(line.text))
          if (!known.has(flag)) wrong.push(`${pageName(path)}: ${command} has no ${flag}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('docs/reference/errors.md', () => {
  const page = readPage(`${DOCS}/reference/errors.md`);
  const rows = new Map<string, string>();
  for (const match of page.matchAll(/^\| `(\w+)`[^|]*\| `([A-Z_]+)` \|/gm))
    rows.set(match[1] as string, match[2] as string);

  const classes = new Map<string, string>();
  for (const mod of [api, dispatch, resources, contractSuite, codegen, system, httpRuntime]) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
      // The class chain, not `instanceof`: the hierarchy's hasInstance checks error codes.
      if (
        value === api.PluginRegistryError ||
        Object.prototype.isPrototypeOf.call(api.PluginRegistryError, value)
      )
        classes.set(name, (value as unknown as { code: string }).code);
    }
  }

  it('lists every exported error class with its code', () => {
    expect(classes.size).toBeGreaterThan(25);
    const missing = [...classes].filter(([name, code]) => rows.get(name) !== code);
    expect(missing.map(([n, c]) => `${n} ${c} (page: ${rows.get(n) ?? 'absent'})`)).toEqual([]);
  });

  it('lists no class that does not exist', () => {
    expect([...rows.keys()].filter((name) => !classes.has(name))).toEqual([]);
  });
});

describe('docs/reference/manifest.md', () => {
  it('documents every field of the manifest schema', () => {
    const page = readPage(`${DOCS}/reference/manifest.md`);
    const schema = manifestJsonSchema() as {
      properties: Record<string, { properties?: Record<string, unknown>; anyOf?: unknown[] }>;
    };
    const fields = new Set<string>();
    const walk = (props: Record<string, { properties?: Record<string, unknown> }>) => {
      for (const [key, value] of Object.entries(props)) {
        fields.add(key);
        if (value.properties !== undefined) walk(value.properties as typeof props);
      }
    };
    walk(schema.properties);
    expect(fields.size).toBeGreaterThan(50);
    expect([...fields].filter((f) => !page.includes(`\`${f}\``))).toEqual([]);
  });
});

describe('docs/reference/states.md', () => {
  it('describes every plugin state', () => {
    const page = readPage(`${DOCS}/reference/states.md`);
    const states = Object.values(api.PLUGIN_STATES);
    expect(states.filter((s) => !page.includes(`| \`${s}\` |`))).toEqual([]);
  });
});
