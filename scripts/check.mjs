#!/usr/bin/env node
// The project's one test command (`pnpm test`): build, typecheck, lint and every
// test suite through turbo, then one summary line `N passed, M failed` built
// from the vitest JSON reports each package writes to .test-report.json, plus
// one failure per build, typecheck or lint task that failed (read from turbo's
// run summary), so the line never says "0 failed" for a red run.
// Exits non-zero when any task fails or any test fails.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const REPORT = '.test-report.json';

function reportDirs() {
  const dirs = [];
  for (const group of ['packages']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) dirs.push(join(base, name));
  }
  for (const extra of [
    'conformance',
    'integration',
    'interop',
    'docs-compat',
    'examples',
    'bench',
  ]) {
    if (existsSync(join(root, extra, 'package.json'))) dirs.push(join(root, extra));
  }
  return dirs;
}

// Stale reports would be counted as if their tests had run; turbo restores
// the report of every cached test task it replays.
for (const dir of reportDirs()) rmSync(join(dir, REPORT), { force: true });
const RUNS = join(root, '.turbo', 'runs');
rmSync(RUNS, { recursive: true, force: true });

// At most 3 tasks at once: the suites spawn real processes and servers, and
// ten of them at a time on a 2-core machine turn generous limits into timeouts.
// Output that is not a terminal (a CI log, a file) gets no colour: the tools
// are asked not to colour it, and what they colour anyway is stripped here.
const plain = !process.stdout.isTTY;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const turbo = await new Promise((done) => {
  const child = spawn(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      'typecheck',
      'lint',
      'lint:root',
      'docs:check',
      'test',
      '--continue',
      '--concurrency=3',
      '--summarize',
      ...(plain ? ['--no-color'] : []),
    ],
    {
      cwd: root,
      stdio: plain ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: {
        TURBO_TELEMETRY_DISABLED: '1',
        ...process.env,
        ...(plain ? { NO_COLOR: '1', FORCE_COLOR: '0' } : {}),
      },
    },
  );
  if (plain) {
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      from.setEncoding('utf8');
      from.on('data', (text) => to.write(text.replace(ANSI, '')));
    }
  }
  child.on('close', (status) => done({ status }));
});

let passed = 0;
let failed = 0;
let skipped = 0;
const skippedTests = [];
const missing = [];
for (const dir of reportDirs()) {
  const file = join(dir, REPORT);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  if (!existsSync(file)) {
    missing.push(pkg.name);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A test file that fails to load has no failed assertions; count it once.
  for (const suite of report.testResults) {
    for (const a of suite.assertionResults) {
      if (a.status === 'pending' || a.status === 'skipped' || a.status === 'todo')
        skippedTests.push(`${pkg.name}: ${[...a.ancestorTitles, a.title].join(' > ')}`);
    }
    const failedAssertions = suite.assertionResults.filter((a) => a.status === 'failed').length;
    if (suite.status === 'failed' && failedAssertions === 0) failed += 1;
  }
}

if (missing.length > 0) {
  console.log(`\nNo test report from: ${missing.join(', ')} (their tests did not run).`);
  failed += missing.length;
}
const turboFailed = turbo.status !== 0;
// Failed tasks other than tests (their failures are in the reports above).
const failedTasks = [];
if (existsSync(RUNS)) {
  for (const name of readdirSync(RUNS).filter((f) => f.endsWith('.json'))) {
    const summary = JSON.parse(readFileSync(join(RUNS, name), 'utf8'));
    for (const task of summary.tasks ?? []) {
      const code = task.execution?.exitCode;
      if (task.task !== 'test' && typeof code === 'number' && code !== 0) {
        failedTasks.push(task.taskId);
      }
    }
  }
}
failed += failedTasks.length;
if (failedTasks.length > 0) console.log(`\nFailed tasks: ${failedTasks.sort().join(', ')}`);
if (turboFailed) console.log('\nA build, typecheck, lint or test task failed (see above).');
if (skippedTests.length > 0) console.log(`\nSkipped:\n  ${skippedTests.join('\n  ')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(turboFailed || failed > 0 ? 1 : 0);
