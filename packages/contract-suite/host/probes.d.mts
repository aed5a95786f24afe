/** Something a lifecycle left behind. */
export interface Leak {
  readonly what: string;
  /** A creation frame in the plugin (`plugin.js:12:5`), `fd 23`, `pid 4242` or a tmpdir path. */
  readonly location: string;
  readonly detail: string;
}

export interface Snapshot {
  readonly resources: Record<string, number>;
  readonly fds: Record<string, string> | undefined;
  readonly children: { pid: number; state: string; cmd: string }[] | undefined;
}

export interface AsyncTracker {
  readonly live: Map<number, { type: string; stack: string; resource?: WeakRef<object> }>;
  stop(): void;
}

export interface EdgeCase {
  readonly label: string;
  readonly pointer: string;
  readonly input: unknown;
}

export declare const HUGE_LENGTH: number;
export declare function stackFrames(
  stack: string | undefined,
): { file: string; line: number; column: number }[];
export declare function callerInPlugin(
  stack: string | undefined,
  pluginDir: string,
): string | undefined;
export declare function pluginFrames(stack: string | undefined, pluginDir: string): string[];
export declare function activeResources(): Record<string, number>;
export declare function openFds(): Record<string, string> | undefined;
export declare function childProcesses(): Snapshot['children'];
export declare function listTree(dir: string): string[];
export declare function settle(rounds?: number): Promise<void>;
export declare function trackAsyncResources(): AsyncTracker;
export declare function snapshot(): Snapshot;
export declare function clearPluginTimers(tracker: AsyncTracker, pluginDir: string): number;
export declare function diffSnapshots(options: {
  before: Snapshot;
  after: Snapshot;
  tracked: AsyncTracker['live'];
  pluginDir: string;
  tmpdirEntries: readonly string[];
}): Leak[];
export declare function edgeCases(input: unknown): EdgeCase[];
