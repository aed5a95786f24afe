// The validation thread's entry (dist/worker.js): parses and validates the
// manifest texts the main thread sends (off-thread.ts) and answers with the
// outcome — at most a capped problem list or the canonical manifest, never
// the parsed document. Importing it on the main thread does nothing.
import { parentPort } from 'node:worker_threads';
import { evaluateText, type ManifestFormat } from './document.js';
import { WORKER_PROTOCOL } from './protocol.js';

interface Request {
  readonly id: number;
  readonly text: string;
  readonly format: ManifestFormat;
  readonly source: string;
}

const port = parentPort;
if (port !== null) {
  port.on('message', (request: Request) => {
    port.postMessage({
      id: request.id,
      outcome: evaluateText(request.text, request.format, request.source),
    });
  });
  port.postMessage({ ready: WORKER_PROTOCOL });
}
