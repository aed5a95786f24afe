import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertJsonValue,
  assertValidKey,
  decodeKey,
  encodeKey,
  MAX_PLAIN_NAME,
} from '../src/index.js';

describe('key encoding', () => {
  it('keeps lowercase letters, digits, _ and -; escapes every other byte', () => {
    expect(encodeKey('job-1_a')).toBe('job-1_a');
    expect(encodeKey('Job/1.json')).toBe('%4Aob%2F1%2Ejson');
    expect(encodeKey('..')).toBe('%2E%2E');
    expect(encodeKey('a\0b')).toBe('a%00b');
    expect(encodeKey('é')).toBe('%C3%A9');
  });

  it('decodes what it encodes, for any well-formed string; long names are hashed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (key) => {
        const name = encodeKey(key);
        if (name.length <= MAX_PLAIN_NAME) {
          expect(name).toMatch(/^(?:[a-z0-9_-]|%[0-9A-F]{2})+$/);
          expect(decodeKey(name)).toBe(key);
        } else {
          expect(name).toMatch(/^(?:[a-z0-9_-]|%[0-9A-F]{2}){0,101}~[0-9a-f]{64}$/);
          expect(decodeKey(name)).toBeUndefined();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('shortens long names with a SHA-256 suffix that is not decodable', () => {
    const long = 'A'.repeat(1000);
    const name = encodeKey(long);
    expect(name).toMatch(/^(%41){33}~[0-9a-f]{64}$/);
    expect(name.length).toBeLessThanOrEqual(100 + 1 + 64);
    expect(decodeKey(name)).toBeUndefined();
    expect(encodeKey(`${long}x`)).not.toBe(name);
    expect(encodeKey('a'.repeat(MAX_PLAIN_NAME))).toBe('a'.repeat(MAX_PLAIN_NAME));
    expect(encodeKey('a'.repeat(MAX_PLAIN_NAME + 1))).toContain('~');
  });

  it('decodeKey refuses names it would never write', () => {
    expect(decodeKey('with.dot')).toBeUndefined();
    expect(decodeKey('%zz')).toBeUndefined();
    expect(decodeKey('%C3')).toBeUndefined(); // truncated UTF-8
    expect(decodeKey('')).toBeUndefined();
  });

  it('assertValidKey refuses what cannot be a key', () => {
    expect(() => assertValidKey('', 'x')).toThrow(/x: invalid key "": the key is empty/);
    expect(() => assertValidKey(null, 'x')).toThrow(/of type null/);
    expect(() => assertValidKey('\uD83D', 'x')).toThrow(/lone UTF-16 surrogate/);
    expect(() => assertValidKey('\uD83D\uDE42', 'x')).not.toThrow();
  });
});

describe('assertJsonValue', () => {
  it('accepts plain JSON, including null-prototype objects', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(() => assertJsonValue({ a: [1, 'x', null, true, { b: -0.5 }], bare })).not.toThrow();
  });

  it('refuses symbol keys and class instances with the pointer', () => {
    class Point {
      x = 1;
    }
    expect(() => assertJsonValue({ p: new Point() })).toThrow(
      /\/p: a Point is not a plain JSON object/,
    );
    expect(() => assertJsonValue({ [Symbol('s')]: 1 })).toThrow(/symbol-keyed/);
  });
});
