// A stand-in plugin process for the wire runner's `host` direction over real
// stdio: it relays its stdin to the Unix socket CONFORMANCE_RELAY and the
// socket to its stdout, so the scripted plugin in the test process sees
// exactly the bytes the host's mcp_stdio runtime writes to a child.
import { appendFileSync } from 'node:fs';
import { connect } from 'node:net';

const pids = process.env.CONFORMANCE_PIDS;
if (pids) appendFileSync(pids, `${process.pid}\n`);
const socket = connect(process.env.CONFORMANCE_RELAY ?? '');
process.stdin.pipe(socket);
socket.pipe(process.stdout);
process.stdin.on('end', () => socket.end());
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(1));
