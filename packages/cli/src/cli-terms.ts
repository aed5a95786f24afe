// Hints in the CLI's terms. The packages' errors speak to API users: "raise
// timeoutMs", "registerKind", "discover(registry, 'plugins/')". A shell user
// has flags and arguments instead, so every message and hint the CLI prints
// passes through here. The packages keep their wording; only the CLI layer
// translates, and only what a command line can do.

/** API wording → CLI wording, most specific first. */
const TERMS: readonly (readonly [RegExp, string])[] = [
  [/\braise timeoutMs\b/g, 'raise --timeout <ms>'],
  [/\btimeoutMs\b/g, '--timeout <ms>'],
  [
    /\bcall registry\.registerKind\(spec\) for this kind\b/g,
    "pass --kinds <dir> with this kind's YAML",
  ],
  [
    /\bregister the kind's hookspec \(registerKind\) before calling its hooks\b/g,
    "pass --kinds <dir> with the kind's YAML, or --dispatch <class>",
  ],
  [/\b(?:registry\.)?registerKind(?:\(\w*\))?/g, '--kinds <dir>'],
  [
    /\bpass the plugins folder as the second argument, e\.g\. discover\(registry, 'plugins\/'\)/g,
    'pass the plugins folder on the command line',
  ],
  [/\bpass the right path to discover\(\)/g, 'pass the right folder on the command line'],
  [/\(target \/ --name\)/g, '(--name)'],
  [/\bthen registry\.reload\(\) the plugin\b/g, 'then run the command again'],
  [
    /\bpass them in the registry options \(resources\) or remove them\b/g,
    'the CLI provides the standard resources only: remove the others',
  ],
  [/\bdagstack-hookspec generate\b/g, 'dagstack-plugins codegen'],
  // The contract suite's skip reasons.
  [/\bpass determinism: "always"/g, 'pass --determinism always'],
  [/\bpass fallback: "always"/g, 'pass --fallback always'],
  [/\bpass samples \(\[\{ hook, input \}\]\)/g, 'pass --samples <file.json>'],
  [/\bthe kind's hookspec \(kindSpec\)/g, "--kinds <dir> with the kind's YAML"],
];

/**
 * `text` with the API options and calls it names replaced by the CLI's flags
 * and arguments (`timeoutMs` → `--timeout <ms>`, `registerKind()` →
 * `--kinds <dir>`, ...).
 */
export function inCliTerms(text: string): string {
  let out = text;
  for (const [pattern, replacement] of TERMS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A JSON error (from `toJSON()`) with its `message` and `hint` in CLI terms,
 * and those of its `cause` chain. Other fields (details, data) are left as
 * they are: they are data, not advice.
 */
export function errorInCliTerms(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  if (typeof out.message === 'string') out.message = inCliTerms(out.message);
  if (typeof out.hint === 'string') out.hint = inCliTerms(out.hint);
  if (typeof out.cause === 'object' && out.cause !== null && !Array.isArray(out.cause))
    out.cause = errorInCliTerms(out.cause as Record<string, unknown>);
  return out;
}
