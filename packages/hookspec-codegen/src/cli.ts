#!/usr/bin/env node
// The `dagstack-hookspec` executable: see `runCli` for the commands.
import { runCli } from './cli-main.js';

process.exitCode = await runCli(process.argv.slice(2));
