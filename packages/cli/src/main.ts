import { parseArgs } from 'node:util';
import type { LogLevel } from '@dagstack/plugin-registry';
import { CALL_USAGE, callCommand } from './commands/call.js';
import { CODEGEN_USAGE, codegenCommand } from './commands/codegen.js';
import { CONTRACT_USAGE, contractCommand } from './commands/contract.js';
import { INIT_USAGE, initCommand } from './commands/init.js';
import { LIST_USAGE, listCommand } from './commands/list.js';
import { SERVE_USAGE, serveCommand } from './commands/serve.js';
import { VALIDATE_USAGE, validateCommand } from './commands/validate.js';
import { type CliIo, describeError, EXIT, errorJson, UsageError, writeJson } from './io.js';

const USAGES: Readonly<Record<string, string>> = {
  validate: VALIDATE_USAGE,
  list: LIST_USAGE,
  call: CALL_USAGE,
  serve: SERVE_USAGE,
  contract: CONTRACT_USAGE,
  codegen: CODEGEN_USAGE,
  init: INIT_USAGE,
};

/** The top-level help text. */
export const USAGE = `dagstack-plugins <command> [options]

Commands:
  validate <path>...              check manifests (files or plugin folders)
  list <dir>... [--setup]         discover plugins (and start/stop them)
  call <kind> <hook> --plugins <dir> [--input <json>|@file] [--meta k=v]...
                                  dispatch one hook call through a registry
  serve <dir>... --stdio|--http   serve the registry's hooks as MCP tools
  contract <plugin-dir>           run the contract suite against a plugin
  codegen <kind.yaml>... --out <dir> [--check]
                                  generate types and KindSpecs from hookspecs
  init <kind> <name> [--dir plugins]
                                  scaffold a plugin folder

Every command takes --json (machine output on stdout only), --log-level
<debug|info|warn|error> (default warn; logs go to stderr, one line each) and
--help. Secret-named fields (api_key, password, *_token, ...) are masked in
every report and log line.
Exit codes: 0 success, 1 the operation failed, 2 usage error.
`;

const COMMON = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  'log-level': { type: 'string' },
} as const;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

function logLevelOf(value: string | undefined): LogLevel | undefined {
  if (value === undefined) return undefined;
  if (!(LOG_LEVELS as readonly string[]).includes(value))
    throw new UsageError(`--log-level ${value}: expected one of ${LOG_LEVELS.join(', ')}`);
  return value as LogLevel;
}

/**
 * Run `dagstack-plugins` with `argv` (without `node` and the script) and
 * return the exit code: 0 success, 1 the operation failed, 2 usage error.
 * Never throws.
 * @since 0.1.0
 */
export async function runCli(argv: readonly string[], io?: CliIo): Promise<number> {
  const out: CliIo = io ?? { stdout: process.stdout, stderr: process.stderr };
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? out.stderr : out.stdout).write(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const usage = USAGES[command];
  if (usage === undefined) {
    out.stderr.write(`dagstack-plugins: unknown command "${command}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (command === 'codegen') {
    if (rest.includes('--help') || rest.includes('-h')) {
      out.stdout.write(usage);
      return EXIT.ok;
    }
    try {
      return await codegenCommand(out, rest);
    } catch (error) {
      if (error instanceof UsageError || isParseArgsError(error)) {
        out.stderr.write(`dagstack-plugins codegen: ${(error as Error).message}\n\n${usage}`);
        return EXIT.usage;
      }
      out.stderr.write(`dagstack-plugins codegen: ${describeError(error)}\n`);
      return EXIT.failed;
    }
  }
  let json = rest.includes('--json');
  try {
    switch (command) {
      case 'validate': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          options: COMMON,
          allowPositionals: true,
        });
        json = values.json;
        if (values.help) return help(out, usage);
        return await validateCommand(out, positionals, { json: values.json });
      }
      case 'list': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          options: {
            ...COMMON,
            setup: { type: 'boolean', default: false },
            kinds: { type: 'string', multiple: true },
          },
          allowPositionals: true,
        });
        json = values.json;
        if (values.help) return help(out, usage);
        const logLevel = logLevelOf(values['log-level']);
        return await listCommand(out, positionals, {
          json: values.json,
          setup: values.setup,
          kindDirs: values.kinds ?? [],
          ...(logLevel === undefined ? {} : { logLevel }),
        });
      }
      case 'call': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          options: {
            ...COMMON,
            plugins: { type: 'string', multiple: true },
            input: { type: 'string' },
            name: { type: 'string' },
            meta: { type: 'string', multiple: true },
            timeout: { type: 'string' },
            kinds: { type: 'string', multiple: true },
            dispatch: { type: 'string' },
          },
          allowPositionals: true,
        });
        json = values.json;
        if (values.help) return help(out, usage);
        if (positionals.length > 2)
          throw new UsageError(
            `call takes <kind> <hook>; unexpected ${positionals.slice(2).join(' ')}`,
          );
        const logLevel = logLevelOf(values['log-level']);
        return await callCommand(out, positionals[0], positionals[1], {
          json: values.json,
          plugins: values.plugins ?? [],
          meta: values.meta ?? [],
          kindDirs: values.kinds ?? [],
          ...(values.input === undefined ? {} : { input: values.input }),
          ...(values.name === undefined ? {} : { name: values.name }),
          ...(values.timeout === undefined ? {} : { timeout: values.timeout }),
          ...(values.dispatch === undefined ? {} : { dispatch: values.dispatch }),
          ...(logLevel === undefined ? {} : { logLevel }),
        });
      }
      case 'contract': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          options: {
            ...COMMON,
            samples: { type: 'string' },
            check: { type: 'string', multiple: true },
            kinds: { type: 'string', multiple: true },
            config: { type: 'string' },
          },
          allowPositionals: true,
        });
        json = values.json;
        if (values.help) return help(out, usage);
        if (positionals.length > 1)
          throw new UsageError(
            `contract takes one plugin folder; unexpected ${positionals.slice(1).join(' ')}`,
          );
        return await contractCommand(out, positionals[0], {
          json: values.json,
          checks: values.check ?? [],
          kindDirs: values.kinds ?? [],
          ...(values.samples === undefined ? {} : { samples: values.samples }),
          ...(values.config === undefined ? {} : { config: values.config }),
        });
      }
      case 'serve': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          options: {
            ...COMMON,
            stdio: { type: 'boolean', default: false },
            http: { type: 'boolean', default: false },
            host: { type: 'string' },
            port: { type: 'string' },
            'token-env': { type: 'string' },
            kinds: { type: 'string', multiple: true },
            'no-dispatch-tools': { type: 'boolean', default: false },
            'allowed-host': { type: 'string', multiple: true },
            'allowed-origin': { type: 'string', multiple: true },
            'session-idle': { type: 'string' },
            'insecure-no-auth': { type: 'boolean', default: false },
            'allow-empty': { type: 'boolean', default: false },
          },
          allowPositionals: true,
        });
        json = values.json;
        if (values.help) return help(out, usage);
        const logLevel = logLevelOf(values['log-level']);
        return await serveCommand(out, positionals, {
          stdio: values.stdio,
          http: values.http,
          json: values.json,
          ...(values.host === undefined ? {} : { host: values.host }),
          ...(values.port === undefined ? {} : { port: values.port }),
          ...(values['token-env'] === undefined ? {} : { tokenEnv: values['token-env'] }),
          dispatchTools: !values['no-dispatch-tools'],
          ...(values['allowed-host'] === undefined ? {} : { allowedHosts: values['allowed-host'] }),
          ...(values['allowed-origin'] === undefined
            ? {}
            : { allowedOrigins: values['allowed-origin'] }),
          ...(values['session-idle'] === undefined ? {} : { sessionIdle: values['session-idle'] }),
          insecureNoAuth: values['insecure-no-auth'],
          allowEmpty: values['allow-empty'],
          kindDirs: values.kinds ?? [],
          ...(logLevel === undefined ? {} : { logLevel }),
        });
      }
      default: {
        const { values, positionals } = parseArgs({
          args: [...rest],
          options: {
            ...COMMON,
            runtime: { type: 'string' },
            dir: { type: 'string' },
            force: { type: 'boolean', default: false },
            kinds: { type: 'string', multiple: true },
          },
          allowPositionals: true,
        });
        json = values.json;
        if (values.help) return help(out, usage);
        if (positionals.length > 2)
          throw new UsageError(
            `init takes <kind> <name>; unexpected ${positionals.slice(2).join(' ')}`,
          );
        return await initCommand(out, positionals[0], positionals[1], {
          json: values.json,
          force: values.force,
          kindDirs: values.kinds ?? [],
          ...(values.runtime === undefined ? {} : { runtime: values.runtime }),
          ...(values.dir === undefined ? {} : { dir: values.dir }),
        });
      }
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      out.stderr.write(`dagstack-plugins ${command}: ${(error as Error).message}\n\n${usage}`);
      return EXIT.usage;
    }
    out.stderr.write(`dagstack-plugins ${command}: ${describeError(error)}\n`);
    if (json) writeJson(out, { error: errorJson(error) });
    return EXIT.failed;
  }
}

function help(io: CliIo, usage: string): number {
  io.stdout.write(usage);
  return EXIT.ok;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
