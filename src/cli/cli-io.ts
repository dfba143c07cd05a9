// What a command may touch of the outside world: output streams, stdin, environment, time.
// Injected so that commands can also be driven in-process (tests, embedding).

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  now(): number;
  /** The process's own streams, for a command that passes bytes and terminal modes through (exec). */
  stdio?: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** The real process: stdout, stderr, stdin, process.env and the wall clock. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    readStdin: () => readAll(process.stdin),
    env: process.env,
    now: () => Date.now(),
    stdio: process,
  };
}
