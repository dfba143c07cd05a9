// Reads what a user hands the CLI (a manifest, a config's file) up to a stated size: a file over it is refused
// on its size before a byte is read, and a stream (stdin, a pipe, /dev/zero) as soon as it passes it, so a
// mistaken 50 MB file costs nothing but the refusal.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { CliError } from "./cli-error.js";

/** Bytes read at a time from a stream. */
const CHUNK = 64 * 1024;

export interface InputLimit {
  maxBytes: number;
  /** What the refusal names first: the file, `stdin`. */
  label?: string;
  /** What follows the limit in the refusal: how to raise it, what it comes from. */
  hint?: string;
}

function tooLarge({ maxBytes, label = "stdin", hint = "" }: InputLimit): CliError {
  return new CliError(`${label}: larger than the limit of ${maxBytes} bytes${hint}`);
}

/** The file's bytes; a CliError `<label>: larger than the limit of N bytes<hint>` beyond the limit. */
export function readFileCapped(path: string, limit: InputLimit): Buffer {
  const { maxBytes } = limit;
  const fd = openSync(path, "r");
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size > maxBytes) throw tooLarge(limit);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      const read = readSync(fd, chunk, 0, CHUNK, null);
      if (read === 0) return Buffer.concat(chunks, total);
      total += read;
      if (total > maxBytes) throw tooLarge(limit);
      chunks.push(chunk.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
}

/** A stream's bytes as text, refused as soon as it passes `maxBytes`. */
export async function readStreamCapped(stream: NodeJS.ReadableStream, limit: InputLimit): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (total > limit.maxBytes) throw tooLarge(limit);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}
