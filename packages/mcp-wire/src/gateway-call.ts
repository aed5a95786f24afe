// The tools/call a gateway (createRegistryServer) is serving, carried to the
// host sessions under it through AsyncLocalStorage: registry.call runs inside
// the store, so WireSession.#callTool sees which served call it works for
// (to forward progress with the client's token, and to know whom to ask when
// the third-party server sends elicitation/create or sampling/createMessage).
//
// The store is reached through a global symbol so that two copies of this
// package in one process (a CLI on one version, a runtime on another) share
// it. Node enables its async context tracking only once run() is first
// called: a host that never serves a gateway pays nothing.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';

/** One served `tools/call`, as the host sessions under the gateway see it. */
export interface GatewayCall {
  /** The served session (one per gateway server): calls of one owner reach the same client. */
  readonly owner: object;
  /** `false` once the gateway has answered the call. */
  readonly active: boolean;
  /** Forward the progress of a call made for this one; absent when the client sent no progressToken. */
  readonly progress: ((progress: Progress) => void) | undefined;
  /** Why the served client cannot take `method` now; `undefined` when it can. */
  refuses(method: string, params: Record<string, unknown> | undefined): string | undefined;
  /** Forward a server-to-client request to the served client; resolves its answer. */
  ask(
    method: string,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
}

const STORE_KEY = Symbol.for('dagstack.mcp.gateway-call');

function store(): AsyncLocalStorage<GatewayCall> {
  const holder = globalThis as { [STORE_KEY]?: AsyncLocalStorage<GatewayCall> };
  holder[STORE_KEY] ??= new AsyncLocalStorage<GatewayCall>();
  return holder[STORE_KEY];
}

const calls: AsyncLocalStorage<GatewayCall> = store();

/** Run `fn` as part of the served call `call`. */
export function runInGatewayCall<T>(call: GatewayCall, fn: () => T): T {
  return calls.run(call, fn);
}

/** The served call the current code works for, if it is still open. */
export function currentGatewayCall(): GatewayCall | undefined {
  const call = calls.getStore();
  return call?.active === true ? call : undefined;
}

/** A signal that aborts when either does (AbortSignal.any is Node 20.3+). */
export function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (a.aborted) return a;
  if (b.aborted) return b;
  const controller = new AbortController();
  const onA = (): void => {
    b.removeEventListener('abort', onB);
    controller.abort(a.reason);
  };
  const onB = (): void => {
    a.removeEventListener('abort', onA);
    controller.abort(b.reason);
  };
  a.addEventListener('abort', onA, { once: true });
  b.addEventListener('abort', onB, { once: true });
  return controller.signal;
}
