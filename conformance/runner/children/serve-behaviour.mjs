// A plugin described by behaviour (README §Behaviours), served over MCP on
// stdio by the BUILT @dagstack/plugin-runtime-mcp-stdio (servePlugin). The
// conformance runner starts it as a real child process.
//
// Environment:
//   CONFORMANCE_PLUGIN  JSON {name, kind, kind_spec?, behaviour}
//   CONFORMANCE_EVENTS  optional file: the behaviour's event log, one entry a line
//   CONFORMANCE_PIDS    optional file: this process appends its pid (the runner reaps it)
import { appendFileSync } from 'node:fs';
import { servePlugin } from '@dagstack/plugin-runtime-mcp-stdio';
import { makePluginObject } from '../behaviour-engine.mjs';

const spec = JSON.parse(process.env.CONFORMANCE_PLUGIN ?? '{}');
const events = process.env.CONFORMANCE_EVENTS;
const pids = process.env.CONFORMANCE_PIDS;
if (pids) appendFileSync(pids, `${process.pid}\n`);

// Appended synchronously before the answer is written, so a runner that got
// the answer finds the event in the file.
const log = {
  push(entry) {
    if (events) appendFileSync(events, `${entry}\n`);
  },
};
const plugin = makePluginObject(spec.name, spec.behaviour ?? {}, log);
const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};
await servePlugin(plugin, spec.kind_spec ?? { name: spec.name, kind: spec.kind }, {
  transport: 'stdio',
  name: spec.name,
  logger: silent,
});
