// Option parsing shared by the commands that start processes (`up`, `run ...`).
import { ValidationError } from "../../core/errors.js";

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
  const value = Number(text);
  if (!/^\d+$/.test(text))
    throw new ValidationError(field, `must be a whole number of seconds, got "${text}"`);
  return value;
}

/** Collects repeated `--label k=v` flags into a map. */
export function collectLabel(pair: string, labels: Record<string, string> = {}): Record<string, string> {
  const eq = pair.indexOf("=");
  if (eq <= 0) throw new ValidationError("label", `expected key=value, got "${pair}"`);
  return { ...labels, [pair.slice(0, eq)]: pair.slice(eq + 1) };
}
