import { parseArgs } from 'node:util';
import type { LogLevel } from '@dagstack/plugin-registry';
import { didYouMean, flagsIn, type OptionSpecs, usageErrorOf } from './args.js';
import { CALL_USAGE, callCommand } from './commands/call.js';
import { CODEGEN_USAGE, codegenCommand } from './commands/codegen.js';
import { CONTRACT_USAGE, contractCommand } from './commands/contract.js';
import { INIT_USAGE, initCommand } from './commands/init.js';
import { LIST_USAGE, listCommand } from './commands/list.js';
import { SERVE_USAGE, serveCommand } from './commands/serve.js';
import { VALIDATE_USAGE, validateCommand } from './commands/validate.js';
import { type CliIo, EXIT, plainIo, UsageError, writeJson } from './io.js';
import { reportFailure } from './report.js';
import { CLI_VERSION } from './version.js';

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
  help [<command>]                this text, or the usage of <command>

Every command takes --json (machine output on stdout only), --help (-h),
--version (-v, also before the command) and, but codegen, --log-level
<debug|info|warn|error> (default warn; logs go to stderr, one line each).
Secret-named fields (api_key, password, *_token, ...) are masked in every
report and log line. Output has no colour (NO_COLOR is honoured for plugin
messages) and escape sequences reach a terminal only.

Errors: a usage error is one line on stderr ending in "see ... --help"; any
other error is one line "<Class> (<CODE>): <message> Hint: <what to do>".
With --json, stdout gets one document instead and stderr only log lines:
{ "ok": false, "error": { "name", "code", "message", "hint"?, ... } }, where
code is "USAGE" for usage errors.
Exit codes: 0 success, 1 the operation failed, 2 usage error.
`;

const USAGES: Readonly<Record<string, string>> = {
  validate: VALIDATE_USAGE,
  list: LIST_USAGE,
  call: CALL_USAGE,
  serve: SERVE_USAGE,
  contract: CONTRACT_USAGE,
  codegen: CODEGEN_USAGE,
  init: INIT_USAGE,
  help: USAGE,
};

/** Flags that act wherever they are: before the command and after it. */
const TOP = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
} as const;

const COMMON = { ...TOP, 'log-level': { type: 'string' } } as const;

/** The options of each command (besides its positionals). */
const OPTIONS = {
  validate: COMMON,
  list: {
    ...COMMON,
    setup: { type: 'boolean', default: false },
    kinds: { type: 'string', multiple: true },
  },
  call: {
    ...COMMON,
    plugins: { type: 'string', multiple: true },
    input: { type: 'string' },
    name: { type: 'string' },
    meta: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    kinds: { type: 'string', multiple: true },
    dispatch: { type: 'string' },
  },
  serve: {
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
  contract: {
    ...COMMON,
    samples: { type: 'string' },
    determinism: { type: 'string' },
    fallback: { type: 'string' },
    check: { type: 'string', multiple: true },
    kinds: { type: 'string', multiple: true },
    config: { type: 'string' },
  },
  // The generator logs nothing: no --log-level.
  codegen: {
    ...TOP,
    out: { type: 'string' },
    'docs-out': { type: 'string' },
    check: { type: 'boolean', default: false },
    prune: { type: 'boolean', default: false },
  },
  init: {
    ...COMMON,
    runtime: { type: 'string' },
    dir: { type: 'string' },
    force: { type: 'boolean', default: false },
    kinds: { type: 'string', multiple: true },
  },
  help: TOP,
} as const;

type CommandName = keyof typeof OPTIONS;
const COMMANDS = Object.keys(OPTIONS) as CommandName[];

function isCommand(word: string): word is CommandName {
  return Object.hasOwn(OPTIONS, word);
}

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
  const out = plainIo(io ?? { stdout: process.stdout, stderr: process.stderr });
  // Flags before the command are the top-level ones; they apply to the command too.
  let at = argv.findIndex((arg) => arg === '-' || !arg.startsWith('-'));
  if (at === -1) at = argv.length;
  const leading = argv.slice(0, at);
  const command = argv[at];
  const rest = [...leading, ...argv.slice(at + 1)];
  const specs: OptionSpecs =
    command !== undefined && isCommand(command) ? OPTIONS[command] : OPTIONS.help;
  const flags = flagsIn(rest, specs);
  const json = flags.has('json');
  try {
    parseArgs({ args: [...leading], options: TOP, allowPositionals: false });
  } catch (error) {
    return reportFailure(out, { command: undefined, json }, usageErrorOf(error, leading, TOP));
  }
  if (command !== undefined && !isCommand(command)) {
    return reportFailure(out, { command: undefined, json }, unknownCommand(command));
  }
  if (flags.has('version')) {
    if (json) writeJson(out, { version: CLI_VERSION });
    else out.stdout.write(`${CLI_VERSION}\n`);
    return EXIT.ok;
  }
  if (command === undefined) {
    if (flags.has('help')) return help(out, USAGE);
    return reportFailure(
      out,
      { command: undefined, json },
      new UsageError(
        `no command given (one of ${COMMANDS.filter((c) => c !== 'help').join(', ')})`,
      ),
    );
  }
  if (flags.has('help')) return help(out, USAGES[command] ?? USAGE);
  try {
    return await run(out, command, rest);
  } catch (error) {
    return reportFailure(
      out,
      { command, json, helpOf: command === 'help' ? undefined : command },
      usageErrorOf(error, rest, OPTIONS[command]),
    );
  }
}

function unknownCommand(word: string): UsageError {
  const near = didYouMean(word, COMMANDS);
  return new UsageError(
    `unknown command "${word}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`,
  );
}

function help(io: CliIo, usage: string): number {
  io.stdout.write(usage);
  return EXIT.ok;
}

async function run(io: CliIo, command: CommandName, rest: readonly string[]): Promise<number> {
  const args = [...rest];
  switch (command) {
    case 'help': {
      const { positionals } = parseArgs({ args, options: OPTIONS.help, allowPositionals: true });
      if (positionals.length > 1)
        throw new UsageError(`help takes one command; unexpected "${positionals[1]}"`);
      const [topic] = positionals;
      if (topic === undefined) return help(io, USAGE);
      if (!isCommand(topic)) throw unknownCommand(topic);
      return help(io, USAGES[topic] ?? USAGE);
    }
    case 'validate': {
      const { values, positionals } = parseArgs({
        args,
        options: OPTIONS.validate,
        allowPositionals: true,
      });
      logLevelOf(values['log-level']);
      return await validateCommand(io, positionals, { json: values.json });
    }
    case 'list': {
      const { values, positionals } = parseArgs({
        args,
        options: OPTIONS.list,
        allowPositionals: true,
      });
      const logLevel = logLevelOf(values['log-level']);
      return await listCommand(io, positionals, {
        json: values.json,
        setup: values.setup,
        kindDirs: values.kinds ?? [],
        ...(logLevel === undefined ? {} : { logLevel }),
      });
    }
    case 'call': {
      const { values, positionals } = parseArgs({
        args,
        options: OPTIONS.call,
        allowPositionals: true,
      });
      if (positionals.length > 2)
        throw new UsageError(`takes <kind> <hook>; unexpected "${positionals.slice(2).join(' ')}"`);
      const logLevel = logLevelOf(values['log-level']);
      return await callCommand(io, positionals[0], positionals[1], {
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
        args,
        options: OPTIONS.contract,
        allowPositionals: true,
      });
      if (positionals.length > 1)
        throw new UsageError(
          `takes one plugin folder; unexpected "${positionals.slice(1).join(' ')}"`,
        );
      logLevelOf(values['log-level']);
      return await contractCommand(io, positionals[0], {
        json: values.json,
        checks: values.check ?? [],
        kindDirs: values.kinds ?? [],
        ...(values.samples === undefined ? {} : { samples: values.samples }),
        ...(values.config === undefined ? {} : { config: values.config }),
        ...(values.determinism === undefined ? {} : { determinism: values.determinism }),
        ...(values.fallback === undefined ? {} : { fallback: values.fallback }),
      });
    }
    case 'serve': {
      const { values, positionals } = parseArgs({
        args,
        options: OPTIONS.serve,
        allowPositionals: true,
      });
      const logLevel = logLevelOf(values['log-level']);
      return await serveCommand(io, positionals, {
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
    case 'codegen': {
      const { values, positionals } = parseArgs({
        args,
        options: OPTIONS.codegen,
        allowPositionals: true,
      });
      return await codegenCommand(io, positionals, {
        json: values.json,
        check: values.check,
        prune: values.prune,
        ...(values.out === undefined ? {} : { out: values.out }),
        ...(values['docs-out'] === undefined ? {} : { docsOut: values['docs-out'] }),
      });
    }
    case 'init': {
      const { values, positionals } = parseArgs({
        args,
        options: OPTIONS.init,
        allowPositionals: true,
      });
      if (positionals.length > 2)
        throw new UsageError(`takes <kind> <name>; unexpected "${positionals.slice(2).join(' ')}"`);
      logLevelOf(values['log-level']);
      return await initCommand(io, positionals[0], positionals[1], {
        json: values.json,
        force: values.force,
        kindDirs: values.kinds ?? [],
        ...(values.runtime === undefined ? {} : { runtime: values.runtime }),
        ...(values.dir === undefined ? {} : { dir: values.dir }),
      });
    }
  }
}
