#!/usr/bin/env node
// The `orchestra` executable: runs the command tree of program.ts on this process's arguments.
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv);
