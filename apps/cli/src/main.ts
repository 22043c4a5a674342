#!/usr/bin/env node
// The gregor CLI. Every command uses @gregor/client. Errors print one line (no stack trace), exit 1.
import { runCli } from "./index.js";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
