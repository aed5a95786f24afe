#!/usr/bin/env node
// The `dagstack-plugins` executable: see `runCli` for the commands and exit codes.
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));
