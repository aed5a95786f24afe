// Log records a test makes on purpose (a plugin that fails to start, a
// refused call) are the system's default stderr logger doing its job; printed
// they bury the test output. While a test runs, its JSON log lines on stderr
// are kept, and written out only if that test fails. Other stderr output,
// and log lines outside a test, pass through untouched.
import { afterEach, beforeEach, onTestFailed } from 'vitest';

/** One record of the default stderr logger (`createStderrLogger`, JSON lines). */
const LOG_RECORD = /^\{"time":"[^"]*","level":"(?:debug|info|warn|error)"/;

const write = process.stderr.write;
/** @type {string[] | undefined} */
let kept;

process.stderr.write = function captureLogRecord(chunk, encoding, callback) {
  if (kept !== undefined) {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (LOG_RECORD.test(text)) {
      kept.push(text);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    }
  }
  return write.call(this, chunk, encoding, callback);
};

beforeEach(() => {
  const lines = [];
  kept = lines;
  onTestFailed(() => {
    for (const line of lines) write.call(process.stderr, line);
  });
});

afterEach(() => {
  kept = undefined;
});
