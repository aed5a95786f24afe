/** One place where a value does not survive a JSON round trip. */
export interface JsonIssue {
  /** JSON pointer of the value (`""` for the root). */
  readonly pointer: string;
  /** What it is: `Date`, `BigInt`, `Map`, `cycle`, `undefined`, `Foo instance`, ... */
  readonly type: string;
  /** What the round trip does to it and what to return instead. */
  readonly problem: string;
}

/** Where two JSON values first differ. */
export interface JsonDifference {
  readonly pointer: string;
  readonly left: unknown;
  readonly right: unknown;
}

export declare function pointerToken(key: string | number): string;
export declare function findJsonIssues(value: unknown, limit?: number): JsonIssue[];
export declare function firstDifference(
  a: unknown,
  b: unknown,
  pointer?: string,
): JsonDifference | undefined;
export declare function safeStringify(value: unknown): string | undefined;
export declare function preview(value: unknown, max?: number): string;
