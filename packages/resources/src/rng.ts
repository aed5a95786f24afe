/**
 * Random number generators: {@link CryptoRng} (the OS CSPRNG) and
 * {@link SeededRng} (a specified, portable PRNG for tests and replay).
 *
 * Both derive every output from a stream of unsigned 32-bit words with the
 * same rules, so a binding in another language that reproduces the word
 * stream reproduces `nextFloat`, `nextInt`, `choice`, `bytes` and `uuid4` too:
 *
 * - `nextFloat()`: two words `a`, `b`; `((a >>> 5) * 2^26 + (b >>> 6)) / 2^53`
 *   (53 random bits, in [0, 1)).
 * - `nextInt(low, high)`: `range = high - low + 1` (at most 2^53).
 *   If `range <= 2^32`: draw a word `u`, reject while `u >= floor(2^32 / range) * range`,
 *   return `low + u % range`.
 *   Otherwise: draw words `hi`, `lo`, `v = (hi >>> 11) * 2^32 + lo` (53 bits),
 *   reject while `v >= floor(2^53 / range) * range`, return `low + v % range`.
 * - `choice(items)`: `items[nextInt(0, items.length - 1)]`.
 * - `bytes(n)`: `ceil(n / 4)` words, each written little-endian; the unused
 *   bytes of the last word are dropped.
 * - `uuid4()`: `bytes(16)`, then `b[6] = (b[6] & 0x0f) | 0x40`,
 *   `b[8] = (b[8] & 0x3f) | 0x80`, formatted as lowercase 8-4-4-4-12 hex.
 *
 * The 0.2.0 names `random`, `int` and `uuid` are deprecated aliases: each
 * calls its new name, so they draw the same values from the same stream.
 */

import { createHash, randomFillSync, randomUUID } from 'node:crypto';
import type { Rng } from '@dagstack/plugin-api';
import { ResourceError } from './errors.js';

const TWO_32 = 0x1_0000_0000;
const TWO_53 = 2 ** 53;
const MASK_64 = (1n << 64n) - 1n;

function rngError(message: string, hint: string): ResourceError {
  return new ResourceError(message, { resource: 'rng', hint });
}

/** Shared derivation of `nextFloat`, `nextInt`, `choice`, `bytes`, `uuid4` from a word source. */
abstract class WordRng implements Rng {
  /** The next unsigned 32-bit word of the stream. */
  abstract uint32(): number;

  /** A float in [0, 1) with 53 random bits. @since 0.2.1 */
  nextFloat(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67_108_864 + b) / TWO_53;
  }

  /** An integer in [low, high] (both inclusive), without modulo bias. @since 0.2.1 */
  nextInt(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
      throw rngError(
        `nextInt(${String(low)}, ${String(high)}): both bounds must be safe integers`,
        'pass integers between Number.MIN_SAFE_INTEGER and Number.MAX_SAFE_INTEGER',
      );
    }
    if (low > high) {
      throw rngError(`nextInt(${low}, ${high}): low is greater than high`, 'pass low <= high');
    }
    const range = high - low + 1;
    if (range > TWO_53) {
      throw rngError(
        `nextInt(${low}, ${high}): the range spans more than 2^53 integers`,
        'narrow the range so that high - low < 2^53',
      );
    }
    if (range <= TWO_32) {
      const limit = Math.floor(TWO_32 / range) * range;
      for (;;) {
        const u = this.uint32();
        if (u < limit) return low + (u % range);
      }
    }
    const limit = Math.floor(TWO_53 / range) * range;
    for (;;) {
      const hi = this.uint32() >>> 11;
      const lo = this.uint32();
      const v = hi * TWO_32 + lo;
      if (v < limit) return low + (v % range);
    }
  }

  /** One element of `items`, each equally likely: `items[nextInt(0, items.length - 1)]`. @since 0.2.1 */
  choice<T>(items: readonly T[]): T {
    if (!Array.isArray(items) || items.length === 0) {
      throw rngError(
        `choice(): items must be a non-empty array, got ${Array.isArray(items) ? 'an empty array' : typeof items}`,
        'pass the array to pick from, with at least one element',
      );
    }
    return items[this.nextInt(0, items.length - 1)] as T;
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw rngError(
        `bytes(${String(length)}): the length must be an integer >= 0`,
        'pass the number of bytes wanted',
      );
    }
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const w = this.uint32();
      out[i] = w & 0xff;
      if (i + 1 < length) out[i + 1] = (w >>> 8) & 0xff;
      if (i + 2 < length) out[i + 2] = (w >>> 16) & 0xff;
      if (i + 3 < length) out[i + 3] = w >>> 24;
    }
    return out;
  }

  /** A random RFC 4122 version 4 UUID (lowercase). @since 0.2.1 */
  uuid4(): string {
    return formatUuidV4(this.bytes(16));
  }

  /**
   * A float in [0, 1): `nextFloat()`.
   * @deprecated Use `nextFloat()`; removed in 0.3.
   */
  random(): number {
    return this.nextFloat();
  }

  /**
   * An integer in [min, max]: `nextInt(min, max)`.
   * @deprecated Use `nextInt(low, high)`; removed in 0.3.
   */
  int(min: number, max: number): number {
    return this.nextInt(min, max);
  }

  /**
   * A random version 4 UUID: `uuid4()`.
   * @deprecated Use `uuid4()`; removed in 0.3.
   */
  uuid(): string {
    return this.uuid4();
  }
}

function formatUuidV4(b: Uint8Array): string {
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Randomness from the operating system's CSPRNG (`node:crypto`). Use it in
 * production; its output cannot be replayed.
 * @since 0.1.0
 */
export class CryptoRng extends WordRng {
  readonly #pool = new Uint32Array(64);
  #next = 64;

  /** The next unsigned 32-bit word, from a pool refilled by `randomFillSync`. */
  uint32(): number {
    if (this.#next >= this.#pool.length) {
      randomFillSync(this.#pool);
      this.#next = 0;
    }
    return this.#pool[this.#next++] as number;
  }

  /** `length` bytes straight from `randomFillSync`. */
  override bytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) return super.bytes(length);
    return randomFillSync(new Uint8Array(length));
  }

  /** `crypto.randomUUID()`. */
  override uuid4(): string {
    return randomUUID();
  }
}

/**
 * A seed of {@link SeededRng}: an integer (number or bigint, taken modulo
 * 2^64, negative values in two's complement) or a string.
 * @since 0.1.0
 */
export type RngSeed = number | bigint | string;

/**
 * Options of {@link SeededRng} (`new DeterministicRng({ seed: 42 })`).
 * @since 0.2.1
 */
export interface SeededRngOptions {
  /** The seed. Default `0`. */
  seed?: RngSeed;
}

/**
 * The 64-bit seed a {@link RngSeed} stands for. Integers are taken modulo
 * 2^64; a string is the first 8 bytes (big-endian) of the SHA-256 of its
 * UTF-8 encoding.
 * @since 0.1.0
 */
export function seedToUint64(seed: RngSeed): bigint {
  if (typeof seed === 'bigint') return seed & MASK_64;
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw rngError(
        `seed ${String(seed)} is not a safe integer`,
        'pass an integer seed, a bigint, or a string',
      );
    }
    return BigInt(seed) & MASK_64;
  }
  if (typeof seed === 'string') {
    return createHash('sha256').update(seed, 'utf8').digest().readBigUInt64BE(0);
  }
  throw rngError(
    `seed of type ${typeof seed} is not supported`,
    'pass an integer seed, a bigint, or a string',
  );
}

/**
 * SplitMix64 (Steele, Lea, Flood; Vigna's reference code): a generator over a
 * 64-bit state, used here only to expand a seed into xoshiro128** state.
 * @since 0.1.0
 */
export function splitMix64(state: bigint): () => bigint {
  let x = state & MASK_64;
  return () => {
    x = (x + 0x9e3779b97f4a7c15n) & MASK_64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
    return z ^ (z >> 31n);
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * A deterministic RNG that gives the same sequence for the same seed on every
 * platform and in every binding.
 *
 * Algorithm (exact, for other bindings to reproduce):
 * 1. `S = seedToUint64(seed)` (see {@link seedToUint64}).
 * 2. Run SplitMix64 from state `S` twice, giving `a` and `b`.
 * 3. xoshiro128** state `s = [low32(a), high32(a), low32(b), high32(b)]`
 *    (never all zero: SplitMix64's output function is a bijection).
 * 4. Each word is xoshiro128** 1.1 (Blackman, Vigna): `result = rotl(s1 * 5, 7) * 9`;
 *    `t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)`
 *    (all arithmetic modulo 2^32).
 * 5. `nextFloat`, `nextInt`, `choice`, `bytes` and `uuid4` are derived from
 *    the words as the module documentation describes.
 *
 * Seed 0 gives the words 3737715805, 2584255861, 2876756834, ...
 * Not for secrets: use {@link CryptoRng}.
 * @since 0.1.0
 */
export class SeededRng extends WordRng {
  readonly #s: Uint32Array;

  /** A generator seeded with `seed`, given as is or as `{ seed }` (the docs' form). Default `0`. */
  constructor(seed: RngSeed | SeededRngOptions = 0) {
    super();
    const value =
      typeof seed === 'object' && seed !== null ? ((seed as SeededRngOptions).seed ?? 0) : seed;
    const next = splitMix64(seedToUint64(value));
    const a = next();
    const b = next();
    this.#s = Uint32Array.of(
      Number(a & 0xffffffffn),
      Number(a >> 32n),
      Number(b & 0xffffffffn),
      Number(b >> 32n),
    );
  }

  /**
   * A generator with an explicit xoshiro128** state (four unsigned 32-bit
   * words, not all zero). For conformance tests against the reference code.
   */
  static fromState(state: readonly [number, number, number, number]): SeededRng {
    const words = state.map((w) => w >>> 0);
    if (state.some((w) => !Number.isInteger(w)) || words.every((w) => w === 0)) {
      throw rngError(
        `fromState([${state.join(', ')}]): the state must be four 32-bit integers, not all zero`,
        'pass four unsigned 32-bit integers with at least one non-zero',
      );
    }
    const rng = new SeededRng(0);
    rng.#s.set(words);
    return rng;
  }

  /** A copy of the current xoshiro128** state (to save and restore a stream position). */
  state(): [number, number, number, number] {
    const s = this.#s;
    return [s[0] as number, s[1] as number, s[2] as number, s[3] as number];
  }

  /** The next xoshiro128** output word. */
  uint32(): number {
    const s = this.#s;
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s[2] = (s[2] as number) ^ s0;
    s[3] = (s[3] as number) ^ s1;
    s[1] = s1 ^ (s[2] as number);
    s[0] = s0 ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  }
}

/**
 * The name the dagstack docs give the seeded test RNG: the same class as
 * {@link SeededRng} (`new DeterministicRng({ seed: 42 })`).
 * @since 0.2.1
 */
export const DeterministicRng: typeof SeededRng = SeededRng;
/** An instance of {@link SeededRng}, under the docs' name. @since 0.2.1 */
export type DeterministicRng = SeededRng;
