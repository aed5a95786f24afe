// Side-by-side measurement of call targets (a registry path and the SDK's own
// client against the same server): sequential latency, throughput with a
// fixed number of calls in flight, and host CPU per call.
//
// The machine is shared and its load changes from second to second, so the
// targets run in many short interleaved rounds (the order reversed every
// other round) and every comparison is a ratio taken inside one round; the
// report gives the median over rounds and the range of the per-round ratios
// (the method of the dispatch bench, docs/performance.md).
//
// A target is { name, call: () => Promise<unknown>, close: () => Promise<unknown> }.

const print = (line) => process.stdout.write(`${line}\n`);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function sequential(target, n) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    await target.call();
    times[i] = performance.now() - t0;
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    median: sorted[n >> 1],
    mean: sorted.reduce((a, b) => a + b, 0) / n,
    p99: sorted[Math.min(n - 1, Math.floor(0.99 * n))],
  };
}

/** Calls per second with `inFlight` in flight, and host CPU per call (µs, this process only). */
async function parallel(target, total, inFlight) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next += 1;
        await target.call();
      }
    }),
  );
  const rate = total / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  return { rate, cpuUs: (cpu.user + cpu.system) / total };
}

const us = (ms) => `${(ms * 1000).toFixed(0)} µs`;
const signed = (ratio) => `${ratio >= 1 ? '+' : '−'}${(Math.abs(ratio - 1) * 100).toFixed(1)}%`;
const range = (values) => `${signed(Math.min(...values))} … ${signed(Math.max(...values))}`;

/**
 * Measure `targets` (the first is compared with each of the others), print a
 * Markdown table and the per-round ratios, close the targets, and return the
 * medians by name.
 */
export async function compareTargets(targets, options) {
  const { sequentialCalls, parallelCalls, rounds, inFlight = 32, title } = options;
  const seqPerRound = Math.max(50, Math.ceil(sequentialCalls / rounds));
  const parPerRound = Math.max(inFlight * 4, Math.ceil(parallelCalls / rounds));
  for (const t of targets) {
    await sequential(t, seqPerRound); // warm-up (JIT, buffers, sockets)
    await parallel(t, parPerRound, inFlight);
  }
  const per = new Map(targets.map((t) => [t.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const seq = await sequential(t, seqPerRound);
      const par = await parallel(t, parPerRound, inFlight);
      per.get(t.name).push({ ...seq, ...par });
    }
  }
  for (const t of targets) await t.close();
  const pick = (name, key) => per.get(name).map((r) => r[key]);
  print(
    `\n${title} (${rounds} interleaved rounds; per round and path ${seqPerRound} sequential calls, then ${parPerRound} calls with ${inFlight} in flight; medians over rounds)`,
  );
  print(`| path | median | mean | p99 | calls/s with ${inFlight} in flight | host CPU per call |`);
  print('|---|---:|---:|---:|---:|---:|');
  for (const t of targets) {
    const n = t.name;
    print(
      `| ${n} | ${us(median(pick(n, 'median')))} | ${us(median(pick(n, 'mean')))} | ${us(median(pick(n, 'p99')))} | ${Math.round(median(pick(n, 'rate'))).toLocaleString('en-US')} | ${median(pick(n, 'cpuUs')).toFixed(1)} µs |`,
    );
  }
  const first = per.get(targets[0].name);
  for (const other of targets.slice(1)) {
    const them = per.get(other.name);
    const ratios = (key, invert = false) =>
      first.map((r, i) => (invert ? them[i][key] / r[key] : r[key] / them[i][key]));
    const line = (label, values) => `${label} ${signed(median(values))} (rounds: ${range(values)})`;
    print(
      `\n${targets[0].name} vs ${other.name}, per-round ratios (+ = the first path is slower / costlier):`,
    );
    print(`- ${line('sequential median latency', ratios('median'))}`);
    print(`- ${line('sequential mean latency', ratios('mean'))}`);
    print(`- ${line(`time per call with ${inFlight} in flight`, ratios('rate', true))}`);
    print(`- ${line('host CPU per call', ratios('cpuUs'))}`);
  }
  return per;
}
