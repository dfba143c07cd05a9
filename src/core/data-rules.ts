// Rules about a config's or secret's data that its schema (schemas/config-secret.ts) cannot state.
import { ValidationError } from "./errors.js";

/** Bytes that a standard, padded base64 text decodes to. */
export function decodedLength(base64: string): number {
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/** Bytes of every value of a key → base64 map, decoded. */
export function dataBytes(data: Record<string, string>): number {
  return Object.values(data).reduce((sum, value) => sum + decodedLength(value), 0);
}

/** At most `limit` bytes of data in all, decoded. */
export function checkDataSize(data: Record<string, string>, field: string, limit: number): void {
  const size = dataBytes(data);
  if (size > limit) throw new ValidationError(field, `holds ${size} bytes; the limit is ${limit} bytes`);
}
