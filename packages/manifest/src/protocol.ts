/**
 * Version of the messages between the main thread and the validation thread
 * (off-thread.ts ↔ worker.ts). A thread announcing another version (a stale
 * build of the package) is not used.
 */
export const WORKER_PROTOCOL = 1;
