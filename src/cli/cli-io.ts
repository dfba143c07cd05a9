// What a command may touch of the outside world: output streams, stdin, environment, time.
// Injected so that commands can also be driven in-process (tests, embedding).
import { type InputLimit, readStreamCapped } from "./input-file.js";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** All of stdin as text; with a limit, a CliError as soon as it passes the limit's size (input-file.ts). */
  readStdin(limit?: InputLimit): Promise<string>;
  env: Record<string, string | undefined>;
  now(): number;
  /** The process's own streams, for a command that passes bytes and terminal modes through (exec). */
  stdio?: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
}

/** The real process: stdout, stderr, stdin, process.env and the wall clock. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    readStdin: (limit) => readStreamCapped(process.stdin, limit ?? { maxBytes: Number.POSITIVE_INFINITY }),
    env: process.env,
    now: () => Date.now(),
    stdio: process,
  };
}
