import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  comparePep440,
  type Pep440Version,
  parsePep440Version,
  parseVersionSpec,
  satisfiesVersionSpec,
} from '../src/version-spec.js';

/** Canonical PEP 440 spelling of a version (test helper, independent of the parser). */
function fmt(v: Pep440Version): string {
  let text = v.epoch > 0 ? `${v.epoch}!` : '';
  text += v.release.join('.');
  if (v.pre !== undefined) text += `${v.pre[0]}${v.pre[1]}`;
  if (v.post !== undefined) text += `.post${v.post}`;
  if (v.dev !== undefined) text += `.dev${v.dev}`;
  if (v.local !== undefined) text += `+${v.local.join('.')}`;
  return text;
}

function parsed(text: string): Pep440Version {
  const version = parsePep440Version(text);
  if (version === undefined) throw new Error(`test setup: ${text} does not parse`);
  return version;
}

const PRE = { prereleases: true } as const;
const NO_PRE = { prereleases: false } as const;

// Mutable tuple so vitest's `it.each` infers the parameter types per position.
type MatchCase = [
  specifier: string,
  version: string,
  expected: boolean,
  options?: { prereleases: boolean },
];

// Expected values follow PEP 440 and `packaging` (the range semantics of current releases for
// `<`/`>`), with pre-releases excluded unless opted in or named by a clause.
const PEP440_CASES: readonly MatchCase[] = [
  // == : zero padding, local labels, normalised spellings, epochs
  ['==1.0', '1.0', true],
  ['==1.0', '1.0.0', true],
  ['==1.0.0', '1.0', true],
  ['==1.0', '1.0.1', false],
  ['==1.0', '1.0+local', true],
  ['==1.0+abc', '1.0+abc', true],
  ['==1.0+abc', '1.0', false],
  ['==1.0+abc', '1.0+abd', false],
  ['==1.0+abc.1', '1.0+ABC-1', true],
  ['==1.0', '1.0.post1', false],
  ['==1.0', '1.0.dev1', false, PRE],
  ['==1.0rc1', '1.0rc1', true],
  ['==1.0rc1', '1.0c1', true],
  ['==1.0rc1', '1.0rc1', false, NO_PRE],
  ['==1.0.post1', '1.0-1', true],
  ['==1.0-r1', '1.0.post1', true],
  ['==1.0-beta-2', '1.0b2', true],
  ['==1.0.dev1', '1.0.dev1', true],
  ['==1!1.0', '1.0', false],
  ['==1!1.0', '1!1.0.0', true],
  ['== 1.0', '1.0', true],
  ['==v1.0', '1.0', true],
  // ==X.* / !=X.* prefix matching
  ['==1.*', '1.5.3', true],
  ['==1.*', '2.0', false],
  ['==1.*', '0.9', false],
  ['==1.0.*', '1.0', true],
  ['==1.0.*', '1', true],
  ['==1.0.*', '1.0.5', true],
  ['==1.0.*', '1.1', false],
  ['==1.0.*', '1.0rc1', false],
  ['==1.0.*', '1.0rc1', true, PRE],
  ['==1.0.*', '1.0.post1', true],
  ['==1.0.*', '1.0+local', true],
  ['==1.0.0.*', '1.0', true],
  ['==1.*', '1!1.0', false],
  ['!=1.0.*', '1.0.3', false],
  ['!=1.0.*', '1.1', true],
  ['!=1.0.*', '0.9', true],
  ['!=1.0.*', '1.0+local', false],
  // !=
  ['!=1.0', '1.0', false],
  ['!=1.0', '1.0.0', false],
  ['!=1.0', '1.0+local', false],
  ['!=1.0', '1.0.1', true],
  ['!=1.0+abc', '1.0', true],
  ['!=1.0+abc', '1.0+abc', false],
  ['!=1.0rc1', '1.0rc2', false], // != never opts into pre-releases
  ['!=1.0rc1', '1.0rc2', true, PRE],
  // <
  ['<2.0', '1.9', true],
  ['<2.0', '2.0', false],
  ['<2.0', '2.0rc1', false, PRE], // a pre-release of V itself
  ['<2.0', '2.0.dev1', false, PRE],
  ['<2.0.0', '2.0a1', false, PRE],
  ['<2.0', '1.9rc1', true, PRE],
  ['<2.0', '1.9rc1', false],
  ['<2.0rc1', '2.0b1', true], // V is a pre-release: no exclusion, and pre-releases are implied
  ['<2.0rc1', '2.0rc1.dev1', true],
  ['<2.0', '1.9.post1', true],
  ['<2.0', '2.0+local', false],
  ['<2.0', '1.9+local', true],
  ['<2.0.post1', '2.0', true],
  ['<2.0.post1', '2.0.post1.dev1', false, PRE],
  ['<1!1.0', '2.0', true],
  // <=
  ['<=2.0', '2.0', true],
  ['<=2.0', '2.0.0', true],
  ['<=2.0', '2.0+local', true],
  ['<=2.0', '2.0.post1', false],
  ['<=2.0', '2.0rc1', true, PRE],
  ['<=2.0', '2.0rc1', false],
  ['<=2.0', '2.0.1', false],
  // >
  ['>1.0', '1.1', true],
  ['>1.0', '1.0', false],
  ['>1.0', '1.0.0', false],
  ['>1.0', '1.0.post1', false], // a post-release of V
  ['>1.0', '1.0.post1.dev1', false, PRE],
  ['>1.0', '1.0+local', false], // a local version of V
  ['>1.0', '1.0.1', true],
  ['>1.0', '1.0.0.1', true],
  ['>1.0', '1.1.dev1', false],
  ['>1.0', '1.1.dev1', true, PRE],
  ['>1.0.post1', '1.0.post2', true], // V is a post-release: later posts are fine
  ['>1.0.post1', '1.0.post1+local', false],
  ['>1.0rc1', '1.0', true],
  ['>1.0rc1', '1.0rc2', true],
  ['>1.0rc1', '1.0rc1.post1', false], // a post-release of the pre-release V
  ['>1.0rc1', '1.0.post1', true], // a post-release of 1.0, not of 1.0rc1
  ['>1.0rc1', '1.0rc2.post1', true], // a post-release of 1.0rc2, not of 1.0rc1
  ['>1.0.dev1', '1.0.dev2', true],
  ['>1.0.dev1', '1.0.dev1+local', false],
  // >=
  ['>=1.0', '1.0', true],
  ['>=1.0', '0.9', false],
  ['>=1.0', '1.0+local', true],
  ['>=1.0', '1.0rc1', false, PRE],
  ['>=1.0', '2.0a1', false],
  ['>=1.0', '2.0a1', true, PRE],
  ['>=1.0.dev0', '1.0a1', true],
  ['>=1.0ALPHA1', '1.0a2', true],
  ['>=1.0', '1!0.1', true],
  ['>=1!0.0', '99.0', false],
  ['>=1!0.0', '1!0.1', true],
  // ~=
  ['~=1.4', '1.4', true],
  ['~=1.4', '1.9.9', true],
  ['~=1.4', '2.0', false],
  ['~=1.4', '1.3', false],
  ['~=1.4', '1.4+local', true],
  ['~=1.4', '2.0.dev0', false, PRE],
  ['~=1.4.5', '1.4.5', true],
  ['~=1.4.5', '1.4.9', true],
  ['~=1.4.5', '1.5.0', false],
  ['~=1.4.5', '1.4.4', false],
  ['~=1.4.5', '1.4.5.post1', true],
  ['~=1.4.5', '1.4.6rc1', false],
  ['~=1.4.5', '1.4.6rc1', true, PRE],
  ['~=1.4.5a2', '1.4.5a3', true],
  ['~=1.4.5a2', '1.4.5', true],
  ['~=1.4.5a2', '1.5.0', false],
  ['~=1!1.4', '1.4', false],
  // === arbitrary string equality, case-insensitive
  ['===1.0', '1.0', true],
  ['===1.0', '1.0.0', false],
  ['===1.0', '1.0+local', false],
  ['===foobar', 'FooBar', true],
  ['===1.0rc1', '1.0RC1', true],
  // sets: every clause must match
  ['>=1.0,<2.0', '1.5', true],
  ['>=1.0,<2.0', '2.0', false],
  ['>=1.0,<2.0', '0.9', false],
  ['>=1.0, !=1.5.*, <2.0', '1.5.2', false],
  ['>=1.0, !=1.5.*, <2.0', '1.6', true],
  ['  >= 1.0 ,  < 2.0  ', '1.2', true],
  ['>=1.0,<2.0', '1.5rc1', false],
  ['>=1.0,<2.0', '1.5rc1', true, PRE],
  ['>=1.0rc1,<2.0', '1.5rc1', true], // a clause names a pre-release: the set allows them
  ['>=1.0rc1,<2.0', '2.0rc1', false], // ...but `<2.0` still rejects 2.0's own pre-releases
  ['>=1.0rc1,<2.0', '1.5rc1', false, NO_PRE],
  // candidates that are not PEP 440 versions
  ['>=1.0', 'not-a-version', false],
  ['!=1.0', 'not-a-version', false],
  ['===not-a-version', 'not-a-version', true],
];

describe('parseVersionSpec / matches (PEP 440)', () => {
  it('has a large table', () => {
    expect(PEP440_CASES.length).toBeGreaterThanOrEqual(80);
  });

  it.each(PEP440_CASES)('%s matches %s → %s', (specifier, version, expected, options) => {
    const result = parseVersionSpec(specifier);
    if (!result.ok) throw new Error(result.message);
    expect(result.spec.syntax).toBe('pep440');
    expect(result.spec.matches(version, options)).toBe(expected);
    expect(satisfiesVersionSpec(version, specifier, options)).toBe(expected);
  });

  it('keeps the trimmed text', () => {
    const result = parseVersionSpec('  >=0.1, <0.2 ');
    expect(result.ok && result.spec.text).toBe('>=0.1, <0.2');
  });
});

const INVALID_SPECIFIERS: readonly string[] = [
  '',
  '   ',
  '0.1',
  '1.2.3',
  'v1.0',
  '=1.0',
  '=>1.0',
  '=<1.0',
  '<>1.0',
  '>==1.0',
  '~=1',
  '~=1.*',
  '~=1.0+local',
  '>=1.0.*',
  '<1.*',
  '==1.0a1.*',
  '==1.*+local',
  '==1.*.0',
  '>=1.0+local',
  '<=1.0+local',
  '>=abc',
  '>=',
  '==',
  '===',
  '=== 1.0 2.0',
  'garbage',
  '>=1.0,',
  ',>=1.0',
  '>=1.0,,<2',
  '>=1.0;<2',
  '>=1.0 !=1.5',
  '>=1!',
  '>=1.0-',
  '^',
  '~',
  '^1.0, <2',
  '~=1.0 || ~=2.0',
  '>=1.0 || garbage',
  '1.0.0 -2.0.0',
  '>=99999999999999999999',
];

describe('invalid specifiers', () => {
  it.each(INVALID_SPECIFIERS)('rejects %j', (specifier) => {
    const result = parseVersionSpec(specifier);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/^Invalid version specifier/);
    expect(() => satisfiesVersionSpec('1.0', specifier)).toThrow(Error);
  });

  it('suggests an operator for a bare version', () => {
    const result = parseVersionSpec('0.1');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('operator is required');
    expect(result.message).toContain('"==0.1.*"');
    expect(result.message).toContain('">=0.1,<0.2"');
  });

  it('suggests exact or compatible matches for a bare three-part version', () => {
    const result = parseVersionSpec('1.2.3');
    expect(result.ok ? '' : result.message).toContain('"~=1.2.3" (>=1.2.3,<1.3)');
  });

  it('explains the common mistakes', () => {
    const message = (text: string): string => {
      const result = parseVersionSpec(text);
      return result.ok ? '' : result.message;
    };
    expect(message('~=1')).toContain('at least two release numbers');
    expect(message('>=1.0.*')).toContain('only allowed with "==" and "!="');
    expect(message('=>1.0')).toContain('">="');
    expect(message('=1.0')).toContain('"=="');
    expect(message('>=1.0+abc')).toContain('local version label');
    expect(message('>=1.0 !=1.5')).toContain('separated by commas, e.g. ">=1.0,!=1.5"');
    expect(message('<>1.0')).toContain('"!="');
    expect(message('>==1.0')).toContain('use ">="');
    expect(message('>=0.1, 0.2')).toContain('in "0.2": an operator is required');
    expect(message('>=1.0,,<2')).toContain('empty clause');
    expect(message('^1.0, <2')).toContain('mixes npm range syntax');
    expect(message('>=1.0 || garbage')).toContain('nor a valid npm range');
  });

  it('never throws on non-string input from untyped callers', () => {
    const untyped = parseVersionSpec as (value: unknown) => ReturnType<typeof parseVersionSpec>;
    expect(untyped(1.0).ok).toBe(false);
    expect(untyped(undefined).ok).toBe(false);
  });
});

const NPM_CASES: readonly MatchCase[] = [
  ['^0.2.0', '0.2.0', true],
  ['^0.2.0', '0.2.5', true],
  ['^0.2.0', '0.3.0', false],
  ['^0.2.0', '0.1.9', false],
  ['^0.2.0', '0.2.1rc1', false],
  ['^0.2.0', '0.2.1rc1', true, PRE],
  ['^0.2.0', '0.2.0rc1', false, PRE], // 0.2.0-rc.1 is below 0.2.0
  ['^0.2', '0.2.9', true],
  ['^0.2', '0.3', false],
  ['~0.2.1', '0.2.1', true],
  ['~0.2.1', '0.2.9', true],
  ['~0.2.1', '0.2.0', false],
  ['~0.2.1', '0.3.0', false],
  ['0.2.x', '0.2', true],
  ['0.2.x', '0.2.7', true],
  ['0.2.x', '0.3.0', false],
  ['1.*', '1.9', true],
  ['1.*', '2.0', false],
  ['*', '5.0', true],
  ['*', '1.0rc1', false],
  ['>=0.3.0 <1.0.0', '0.3.0', true],
  ['>=0.3.0 <1.0.0', '0.9.9', true],
  ['>=0.3.0 <1.0.0', '1.0.0', false],
  ['>=0.3.0 <1.0.0', '0.2.9', false],
  ['>= 0.3.0 < 1.0.0', '0.5', true],
  ['1.0.0 - 2.0.0', '1.5', true],
  ['1.0.0 - 2.0.0', '2.0.0', true],
  ['1.0.0 - 2.0.0', '2.0.1', false],
  ['1.0.0 - 2.0.0', '0.9', false],
  ['^1.0.0 || ^2.0.0', '1.2', true],
  ['^1.0.0 || ^2.0.0', '2.5.1', true],
  ['^1.0.0 || ^2.0.0', '3.0', false],
  // pre-releases: npm's own rule tags the tuple; PEP 440 spellings map onto semver tags
  ['^0.2.0-rc.1', '0.2.0rc2', true],
  ['^0.2.0-rc.1', '0.2.0rc1', true],
  ['^0.2.0-rc.1', '0.2.0b1', false],
  ['^0.2.0-rc.1', '0.2.0', true],
  ['^0.2.0-rc.1', '0.2.1rc1', false],
  ['^0.2.0-rc.1', '0.2.0rc2', false, NO_PRE],
  ['^0.2.0-beta.1', '0.2.0b2', true],
  ['^0.2.0-beta.1', '0.2.0a9', false],
  ['>=0.2.0-alpha.0 <0.3.0', '0.2.0.dev1', false, PRE], // dev sorts before alpha
  ['^0.2.0', '0.2.0.post1', true],
  ['^0.2.0', '0.2.0.post1.dev1', false], // a dev release of a post-release is a pre-release
  ['^0.2.0', '0.2.0.post1.dev1', true, PRE],
  ['>=0.1.0 <=0.2.0', '0.2.0.post1.dev1', false, PRE], // ...and it sorts after 0.2.0
  ['^0.2.0', '0.2.0+local', true],
  ['^1.0.0', '1!1.0.0', false], // npm cannot express epochs
  ['^1.0.0', '1.2.3-beta.x', true, PRE], // not PEP 440, but valid semver
  ['^1.0.0', 'garbage', false],
];

describe('npm ranges', () => {
  it.each(NPM_CASES)('%s matches %s → %s', (specifier, version, expected, options) => {
    const result = parseVersionSpec(specifier);
    if (!result.ok) throw new Error(result.message);
    expect(result.spec.syntax).toBe('npm');
    expect(result.spec.matches(version, options)).toBe(expected);
  });

  it('prefers PEP 440 when both grammars accept the text', () => {
    const syntax = (text: string): string | undefined => {
      const result = parseVersionSpec(text);
      return result.ok ? result.spec.syntax : undefined;
    };
    expect(syntax('>=1.0.0')).toBe('pep440');
    expect(syntax('>=1.0,<2.0')).toBe('pep440');
    expect(syntax('==1.0.*')).toBe('pep440');
    expect(syntax('>=1.0.0 <2.0.0')).toBe('npm');
    expect(syntax('~1.2')).toBe('npm');
  });
});

const VERSION_CASES: readonly [string, Pep440Version][] = [
  ['1.0', { epoch: 0, release: [1, 0] }],
  ['v1.0', { epoch: 0, release: [1, 0] }],
  ['V1.0', { epoch: 0, release: [1, 0] }],
  ['  1.0\n', { epoch: 0, release: [1, 0] }],
  ['01.002', { epoch: 0, release: [1, 2] }],
  ['1!2.0', { epoch: 1, release: [2, 0] }],
  ['1.0a1', { epoch: 0, release: [1, 0], pre: ['a', 1] }],
  ['1.0alpha1', { epoch: 0, release: [1, 0], pre: ['a', 1] }],
  ['1.0.alpha.1', { epoch: 0, release: [1, 0], pre: ['a', 1] }],
  ['1.0-a-1', { epoch: 0, release: [1, 0], pre: ['a', 1] }],
  ['1.0_A_1', { epoch: 0, release: [1, 0], pre: ['a', 1] }],
  ['1.0a', { epoch: 0, release: [1, 0], pre: ['a', 0] }],
  ['1.0beta2', { epoch: 0, release: [1, 0], pre: ['b', 2] }],
  ['1.0c1', { epoch: 0, release: [1, 0], pre: ['rc', 1] }],
  ['1.0pre1', { epoch: 0, release: [1, 0], pre: ['rc', 1] }],
  ['1.0preview1', { epoch: 0, release: [1, 0], pre: ['rc', 1] }],
  ['1.0-RC-1', { epoch: 0, release: [1, 0], pre: ['rc', 1] }],
  ['1.0.post1', { epoch: 0, release: [1, 0], post: 1 }],
  ['1.0post1', { epoch: 0, release: [1, 0], post: 1 }],
  ['1.0-1', { epoch: 0, release: [1, 0], post: 1 }],
  ['1.0.r1', { epoch: 0, release: [1, 0], post: 1 }],
  ['1.0rev2', { epoch: 0, release: [1, 0], post: 2 }],
  ['1.0.post', { epoch: 0, release: [1, 0], post: 0 }],
  ['1.0.dev', { epoch: 0, release: [1, 0], dev: 0 }],
  ['1.0-dev-3', { epoch: 0, release: [1, 0], dev: 3 }],
  ['1.0a1.post2.dev3', { epoch: 0, release: [1, 0], pre: ['a', 1], post: 2, dev: 3 }],
  ['1.0+abc.1', { epoch: 0, release: [1, 0], local: ['abc', 1] }],
  ['1.0+ABC-01_x', { epoch: 0, release: [1, 0], local: ['abc', 1, 'x'] }],
];

const INVALID_VERSIONS: readonly string[] = [
  '',
  'abc',
  'v',
  '1.0.',
  '.1',
  '1..0',
  '1.0+',
  '1.0+abc..1',
  '1.0a1a2',
  '1.0.dev1.post1',
  '1.0-',
  '1.0 1',
  '1!',
  '!1.0',
  '1.0.*',
  '1.0+a_',
  '99999999999999999999',
];

// Strictly increasing under PEP 440.
const SORTED_VERSIONS: readonly string[] = [
  '0.9',
  '1.0.dev0',
  '1.0.dev1',
  '1.0a1.dev0',
  '1.0a1',
  '1.0a1.post1.dev0',
  '1.0a1.post1',
  '1.0a2.dev1',
  '1.0a2',
  '1.0b1',
  '1.0rc1',
  '1.0',
  '1.0+abc',
  '1.0+abc.1',
  '1.0+1',
  '1.0.post1.dev0',
  '1.0.post1',
  '1.0.1',
  '1.1.dev0',
  '1.1',
  '2.0',
  '1!0.1',
];

describe('parsePep440Version', () => {
  it.each(VERSION_CASES)('parses %j', (text, expected) => {
    expect(parsePep440Version(text)).toEqual(expected);
  });

  it.each(INVALID_VERSIONS)('rejects %j', (text) => {
    expect(parsePep440Version(text)).toBeUndefined();
  });
});

describe('comparePep440', () => {
  it('orders a sorted list strictly', () => {
    for (let i = 0; i < SORTED_VERSIONS.length; i++) {
      for (let j = 0; j < SORTED_VERSIONS.length; j++) {
        const a = parsed(SORTED_VERSIONS[i] ?? '');
        const b = parsed(SORTED_VERSIONS[j] ?? '');
        expect(Math.sign(comparePep440(a, b)), `${fmt(a)} vs ${fmt(b)}`).toBe(Math.sign(i - j));
      }
    }
  });

  it('sorts a reversed copy back into order', () => {
    const sorted = [...SORTED_VERSIONS].reverse().map(parsed).sort(comparePep440).map(fmt);
    expect(sorted).toEqual(SORTED_VERSIONS.map(parsed).map(fmt));
  });

  it.each([
    ['1.0', '1.0.0'],
    ['1.0a', '1.0a0'],
    ['1.0-1', '1.0.post1'],
    ['1.0+ABC', '1.0+abc'],
    ['1.0+abc.1', '1.0+abc-01'],
    ['0!1.0', '1.0'],
  ])('%s equals %s', (a, b) => {
    expect(comparePep440(parsed(a), parsed(b))).toBe(0);
  });
});

// ----- property-based tests -----

const releaseArb = fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 4 });
const finalArb: fc.Arbitrary<Pep440Version> = fc.record({
  epoch: fc.constantFrom(0, 0, 0, 1),
  release: releaseArb,
});
const versionArb: fc.Arbitrary<Pep440Version> = fc.record({
  epoch: fc.constantFrom(0, 0, 0, 1),
  release: releaseArb,
  pre: fc.option(fc.tuple(fc.constantFrom('a' as const, 'b' as const, 'rc' as const), fc.nat(2)), {
    nil: undefined,
  }),
  post: fc.option(fc.nat(2), { nil: undefined }),
  dev: fc.option(fc.nat(2), { nil: undefined }),
});
const localVersionArb: fc.Arbitrary<Pep440Version> = fc
  .tuple(
    versionArb,
    fc.option(fc.array(fc.oneof(fc.nat(3), fc.constantFrom('abc', 'x', 'z9')), { minLength: 1 }), {
      nil: undefined,
    }),
  )
  .map(([version, local]) => ({ ...version, local }));

describe('properties', () => {
  it('>=a,<b matches exactly a <= v < b for final releases', () => {
    fc.assert(
      fc.property(finalArb, finalArb, finalArb, (a, b, v) => {
        const expected = comparePep440(a, v) <= 0 && comparePep440(v, b) < 0;
        const spec = `>=${fmt(a)},<${fmt(b)}`;
        expect(satisfiesVersionSpec(fmt(v), spec, PRE)).toBe(expected);
        expect(satisfiesVersionSpec(fmt(v), spec)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('>=a,<b only ever matches versions in [a, b), whatever their kind', () => {
    fc.assert(
      fc.property(versionArb, versionArb, localVersionArb, (a, b, v) => {
        if (satisfiesVersionSpec(fmt(v), `>=${fmt(a)},<${fmt(b)}`, PRE)) {
          expect(comparePep440(a, v)).toBeLessThanOrEqual(0);
          expect(comparePep440(v, b)).toBeLessThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('== matches the version itself and != is its complement', () => {
    fc.assert(
      fc.property(localVersionArb, localVersionArb, (v, w) => {
        expect(satisfiesVersionSpec(fmt(v), `==${fmt(v)}`, PRE)).toBe(true);
        const equal = satisfiesVersionSpec(fmt(w), `==${fmt(v)}`, PRE);
        expect(satisfiesVersionSpec(fmt(w), `!=${fmt(v)}`, PRE)).toBe(!equal);
        // A specifier with a local label needs an exact match; without one, w's label is ignored.
        const subject = v.local === undefined ? { ...w, local: undefined } : w;
        expect(equal).toBe(comparePep440(v, subject) === 0);
      }),
      { numRuns: 1000 },
    );
  });

  it('parses its own canonical spelling back to an equal version', () => {
    fc.assert(
      fc.property(localVersionArb, (v) => {
        const back = parsePep440Version(fmt(v));
        expect(back).toBeDefined();
        if (back !== undefined) expect(comparePep440(back, v)).toBe(0);
      }),
    );
  });

  it('comparePep440 is reflexive, antisymmetric and transitive', () => {
    fc.assert(
      fc.property(localVersionArb, localVersionArb, localVersionArb, (a, b, c) => {
        expect(comparePep440(a, a)).toBe(0);
        expect(Math.sign(comparePep440(a, b))).toBe(-Math.sign(comparePep440(b, a)));
        if (comparePep440(a, b) <= 0 && comparePep440(b, c) <= 0) {
          expect(comparePep440(a, c)).toBeLessThanOrEqual(0);
        }
        if (comparePep440(a, b) === 0) {
          expect(Math.sign(comparePep440(a, c))).toBe(Math.sign(comparePep440(b, c)));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parseVersionSpec never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = parseVersionSpec(text);
        if (result.ok) {
          expect(typeof result.spec.matches('1.0')).toBe('boolean');
        } else {
          expect(result.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parseVersionSpec and matches never throw on specifier-like strings', () => {
    const fragment = fc.constantFrom(
      ...['>=', '<=', '==', '!=', '~=', '===', '<', '>', '^', '~', '||', ' - ', ','],
      ...[' ', '1', '0', '2', '.', '.*', '*', 'x', 'a', 'rc', 'post', 'dev', '+', '!', 'v', '-'],
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 12 }), fc.string(), (parts, version) => {
        const result = parseVersionSpec(parts.join(''));
        if (result.ok) {
          expect(typeof result.spec.matches(version)).toBe('boolean');
          expect(typeof result.spec.matches('1.0rc1', PRE)).toBe('boolean');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
