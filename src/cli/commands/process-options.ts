// Option parsing shared by the commands that start processes (`up`, `run ...`).
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { ValidationError } from "../../core/errors.js";

/** The API server's guards against web pages (src/api/request-guards.ts), as flags of `up` and `run api`. */
export interface RequestGuardFlags {
  allowedHost?: string[];
  allowedOrigin?: string[];
}

export function requestGuardOptions(command: Command): Command {
  const collect = (text: string, previous: string[] = []) => [...previous, text];
  return command
    .option(
      "--allowed-host <name>",
      "without a token, also serve requests for this Host name besides loopback ones (repeatable)",
      collect,
    )
    .option(
      "--allowed-origin <origin>",
      "serve browser requests from this Origin, e.g. https://dash.example (repeatable; default none)",
      collect,
    );
}

export function parsePort(text: string, field: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 0 || port > 65535) {
    throw new ValidationError(field, `must be a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

export function parsePositiveInt(text: string, field: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value <= 0)
    throw new ValidationError(field, `must be a positive integer, got "${text}"`);
  return value;
}

export function parseSeconds(text: string, field: string): number {
  return parseWhole(text, field, "seconds");
}

export function parseMilliseconds(text: string, field: string): number {
  return parseWhole(text, field, "milliseconds");
}

function parseWhole(text: string, field: string, unit: string): number {
  if (!/^\d+$/.test(text))
    throw new ValidationError(field, `must be a whole number of ${unit}, got "${text}"`);
  return Number(text);
}

/** A share from 0 to 1, e.g. `0.55`. */
export function parseFraction(text: string, field: string): number {
  const value = Number(text);
  if (!/^(0|1|0?\.\d+|1\.0*)$/.test(text) || value < 0 || value > 1)
    throw new ValidationError(field, `must be a number from 0 to 1, got "${text}"`);
  return value;
}

/** Collects repeated `--label k=v` flags into a map. */
export function collectLabel(pair: string, labels: Record<string, string> = {}): Record<string, string> {
  const eq = pair.indexOf("=");
  if (eq <= 0) throw new ValidationError("label", `expected key=value, got "${pair}"`);
  return { ...labels, [pair.slice(0, eq)]: pair.slice(eq + 1) };
}

/** `--allow-host-path DIR` (repeatable), as `up` and `run worker` take it. */
export function allowHostPathOption(command: Command): Command {
  return command.option(
    "--allow-host-path <dir>",
    "pods may mount host paths under this directory (repeatable; default: none)",
    collectDir,
  );
}

/** Collects repeated `--allow-host-path DIR` flags: each an existing directory, made absolute. */
export function collectDir(dir: string, dirs: string[] = []): string[] {
  const path = resolve(dir);
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // not there: refused below
  }
  if (!isDirectory) throw new ValidationError("allow-host-path", `${path} is not a directory`);
  return [...dirs, path];
}
