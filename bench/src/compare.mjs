// Side-by-side measurement of call targets (a registry path and the SDK's own
// client against the same server): sequential latency, throughput with a
// fixed number of calls in flight, and host CPU per call. The targets are
// alternated round by round so drift of the shared machine hits all alike;
// each figure is the best of the rounds.
//
// A target is { name, call: () => Promise<unknown>, close: () => Promise<unknown> }.

const print = (line) => process.stdout.write(`${line}\n`);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function sequential(target, n) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    await target.call();
    times[i] = performance.now() - t0;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  return { median: percentile(sorted, 50), mean, p99: percentile(sorted, 99) };
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
const pct = (a, b) => (((a - b) / b) * 100).toFixed(1);

/**
 * Measure `targets` (the first is the one compared with the others), print a
 * Markdown table and one ratio line per other target, close the targets, and
 * return the best figures by name.
 */
export async function compareTargets(targets, options) {
  const { sequentialCalls, parallelCalls, rounds, inFlight = 32, title } = options;
  for (const t of targets) {
    await sequential(t, Math.ceil(sequentialCalls / 6)); // warm-up (JIT, buffers, sockets)
    await parallel(t, Math.ceil(parallelCalls / 6), inFlight);
  }
  const best = new Map(
    targets.map((t) => [t.name, { seq: undefined, rate: 0, cpuUs: Number.POSITIVE_INFINITY }]),
  );
  for (let round = 0; round < rounds; round += 1) {
    for (const t of targets) {
      const seq = await sequential(t, sequentialCalls);
      const par = await parallel(t, parallelCalls, inFlight);
      const b = best.get(t.name);
      if (b.seq === undefined || seq.median < b.seq.median) b.seq = seq;
      b.rate = Math.max(b.rate, par.rate);
      b.cpuUs = Math.min(b.cpuUs, par.cpuUs);
    }
  }
  for (const t of targets) await t.close();
  print(
    `\n${title} (best of ${rounds} rounds; ${sequentialCalls} sequential calls, ${parallelCalls} calls with ${inFlight} in flight)`,
  );
  print(`| path | median | mean | p99 | calls/s with ${inFlight} in flight | host CPU per call |`);
  print('|---|---:|---:|---:|---:|---:|');
  for (const [name, b] of best) {
    print(
      `| ${name} | ${us(b.seq.median)} | ${us(b.seq.mean)} | ${us(b.seq.p99)} | ${Math.round(b.rate).toLocaleString('en-US')} | ${b.cpuUs.toFixed(1)} µs |`,
    );
  }
  const first = best.get(targets[0].name);
  for (const other of targets.slice(1)) {
    const b = best.get(other.name);
    print(
      `\n${targets[0].name} vs ${other.name}: median ${pct(first.seq.median, b.seq.median)}%, mean ${pct(first.seq.mean, b.seq.mean)}%, throughput ${pct(b.rate, first.rate)}% lower, host CPU per call ×${(first.cpuUs / b.cpuUs).toFixed(2)} (negative = the first path is faster)`,
    );
  }
  return best;
}
