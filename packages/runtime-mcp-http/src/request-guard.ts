// DNS-rebinding protection of the MCP HTTP server (MCP transport spec:
// "Servers MUST validate the Origin header"): which Host and Origin headers
// a request may carry. Internal to the package; serve.ts builds one guard per
// endpoint from its options.
import type { IncomingMessage } from 'node:http';
import { PluginRegistryError } from '@dagstack/plugin-api';

/** Host names of the loopback interface a local client may put in `Host`. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Whether `host` (an interface to listen on) is a loopback address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}

interface HostPort {
  /** Lower-case host; an IPv6 address in brackets. */
  readonly host: string;
  /** The port as written, or `undefined` when there is none. */
  readonly port: string | undefined;
}

/**
 * Split `host[:port]` (a Host header, or an `allowedHosts` entry, which may
 * also be a bare IPv6 address). `undefined` when it is not of that form.
 */
function parseHostPort(value: string, bareIpv6: boolean): HostPort | undefined {
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  let host: string;
  let rest: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return undefined;
    host = text.slice(0, end + 1);
    rest = text.slice(end + 1);
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1) {
      if (!bareIpv6) return undefined;
      return { host: `[${text}]`, port: undefined };
    }
    const at = text.indexOf(':');
    host = at < 0 ? text : text.slice(0, at);
    rest = at < 0 ? '' : text.slice(at);
  }
  if (host === '' || /[\s/?#@]/.test(host)) return undefined;
  if (rest === '') return { host, port: undefined };
  if (!/^:\d{1,5}$/.test(rest)) return undefined;
  return { host, port: rest.slice(1) };
}

/** The comparable form of an origin: `scheme://host[:port]`, lower case. */
function normalizeOrigin(value: string): string | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  try {
    const url = new URL(text);
    // Non-special schemes (chrome-extension://, moz-extension://) have an
    // opaque origin: compare their text instead.
    if (url.origin !== 'null') return url.origin.toLowerCase();
  } catch {
    return text === 'null' ? 'null' : undefined;
  }
  return text.toLowerCase().replace(/\/+$/, '');
}

/** Why a request was refused: the header, its value (shortened) and the option that admits it. */
export interface GuardRefusal {
  readonly header: 'host' | 'origin';
  readonly value: string;
  readonly option: 'allowedHosts' | 'allowedOrigins';
}

/** Checks the Host and Origin headers of a request; `undefined` when it may go on. */
export type RequestGuard = (req: IncomingMessage) => GuardRefusal | undefined;

export interface RequestGuardOptions {
  /** The interface the server listens on. */
  readonly host: string;
  readonly allowedHosts: readonly string[] | undefined;
  readonly allowedOrigins: readonly string[] | undefined;
  /** For the errors of bad entries. */
  readonly site: { plugin?: string; kind?: string };
}

function shorten(value: string): string {
  return value.length > 120 ? `${value.slice(0, 120)}…` : value;
}

/**
 * Build the guard of one endpoint. Hosts: `localhost`, `127.0.0.1` and
 * `[::1]` with any port, the interface the server listens on, and
 * `allowedHosts` (`host` for any port, `host:port` for that port). Origins:
 * `http(s)://` on those three loopback names with any port, and
 * `allowedOrigins` (exact origins). A request without an `Origin` header is a
 * non-browser client and is not checked for it. `'*'` turns a check off.
 * Throws a typed error on an entry that is not a host or an origin.
 */
export function createRequestGuard(options: RequestGuardOptions): RequestGuard {
  const anyHost = options.allowedHosts?.includes('*') === true;
  const anyOrigin = options.allowedOrigins?.includes('*') === true;
  const hosts: HostPort[] = LOOPBACK_NAMES.map((host) => ({ host, port: undefined }));
  const bound = parseHostPort(options.host, true);
  if (bound !== undefined) hosts.push({ host: bound.host, port: undefined });
  for (const entry of options.allowedHosts ?? []) {
    if (entry === '*') continue;
    const parsed = typeof entry === 'string' ? parseHostPort(entry, true) : undefined;
    if (parsed === undefined) {
      throw new PluginRegistryError(
        `the MCP HTTP server option allowedHosts has an entry that is not a host: ${JSON.stringify(entry)}`,
        {
          ...options.site,
          hint: 'give host names or addresses as "name" (any port) or "name:port", e.g. "mcp.internal:8080"; "*" turns the Host check off',
        },
      );
    }
    hosts.push(parsed);
  }
  const origins = new Set<string>();
  for (const entry of options.allowedOrigins ?? []) {
    if (entry === '*') continue;
    const normalized = typeof entry === 'string' ? normalizeOrigin(entry) : undefined;
    if (normalized === undefined) {
      throw new PluginRegistryError(
        `the MCP HTTP server option allowedOrigins has an entry that is not an origin: ${JSON.stringify(entry)}`,
        {
          ...options.site,
          hint: 'give full origins such as "https://app.example.com" or "http://localhost:5173"; "*" turns the Origin check off',
        },
      );
    }
    origins.add(normalized);
  }

  const hostAllowed = (value: string): boolean => {
    const given = parseHostPort(value, false);
    if (given === undefined) return false;
    return hosts.some(
      (h) => h.host === given.host && (h.port === undefined || h.port === given.port),
    );
  };

  const originAllowed = (value: string): boolean => {
    const normalized = normalizeOrigin(value);
    if (normalized === undefined) return false;
    if (origins.has(normalized)) return true;
    if (normalized === 'null') return false;
    try {
      const url = new URL(normalized);
      return (
        (url.protocol === 'http:' || url.protocol === 'https:') &&
        LOOPBACK_NAMES.includes(url.hostname.toLowerCase())
      );
    } catch {
      return false;
    }
  };

  return (req) => {
    if (!anyHost) {
      const host = req.headers.host;
      if (typeof host !== 'string' || !hostAllowed(host)) {
        return { header: 'host', value: shorten(host ?? ''), option: 'allowedHosts' };
      }
    }
    if (!anyOrigin) {
      const origin = req.headers.origin;
      if (typeof origin === 'string' && !originAllowed(origin)) {
        return { header: 'origin', value: shorten(origin), option: 'allowedOrigins' };
      }
    }
    return undefined;
  };
}
