// The snapshot file: every key of a store with its value, as text that survives any copy. One header line
// (format version, creation time, entry count, SHA-256 of the rest), then one JSON line per key, parents first.
// Versions are not kept: a restore creates each key afresh (version 0), as a new store would.
import { createHash } from "node:crypto";
import { assertKey } from "../store.js";

/** The format this code writes and the only one it reads. Raise it when the layout changes. */
export const SNAPSHOT_FORMAT_VERSION = 1;

export interface SnapshotEntry {
  key: string;
  value: unknown;
}

export interface SnapshotHeader {
  orchestraSnapshot: number;
  createdAt: string;
  entries: number;
  sha256: string;
}

export interface Snapshot {
  header: SnapshotHeader;
  entries: SnapshotEntry[];
}

/** A snapshot file that cannot be read; the message says why, in one line. */
export class SnapshotFormatError extends Error {
  override name = "SnapshotFormatError";
}

export function encodeSnapshot(entries: readonly SnapshotEntry[], createdAt: Date): Buffer {
  const body = entries.map((e) => `${JSON.stringify({ key: e.key, value: e.value ?? null })}\n`).join("");
  const header: SnapshotHeader = {
    orchestraSnapshot: SNAPSHOT_FORMAT_VERSION,
    createdAt: createdAt.toISOString(),
    entries: entries.length,
    sha256: sha256(body),
  };
  return Buffer.from(`${JSON.stringify(header)}\n${body}`, "utf8");
}

/** Reads a snapshot, checking its format version, checksum, count and keys. `name` is the file, for messages. */
export function decodeSnapshot(data: Buffer, name: string): Snapshot {
  const text = data.toString("utf8");
  const headerEnd = text.indexOf("\n");
  const header = parseHeader(headerEnd < 0 ? text : text.slice(0, headerEnd), name);
  if (header.orchestraSnapshot !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotFormatError(
      `${name} is snapshot format version ${header.orchestraSnapshot}; this Orchestra reads version ${SNAPSHOT_FORMAT_VERSION}`,
    );
  }
  if (headerEnd < 0) throw new SnapshotFormatError(`${name} is truncated: it ends inside its header`);
  const body = text.slice(headerEnd + 1);
  const actual = sha256(body);
  if (actual !== header.sha256) {
    throw new SnapshotFormatError(
      `${name} is corrupt or truncated: its content does not match its checksum (sha256 ${header.sha256.slice(0, 12)}..., found ${actual.slice(0, 12)}...)`,
    );
  }
  const lines = body === "" ? [] : body.replace(/\n$/, "").split("\n");
  if (lines.length !== header.entries) {
    throw new SnapshotFormatError(
      `${name} holds ${lines.length} keys, but its header says ${header.entries}`,
    );
  }
  const seen = new Set<string>();
  const entries = lines.map((line, i) => {
    const entry = parseEntry(line, `${name} line ${i + 2}`);
    if (seen.has(entry.key)) throw new SnapshotFormatError(`${name} holds ${entry.key} twice`);
    seen.add(entry.key);
    return entry;
  });
  return { header, entries };
}

function parseHeader(line: string, name: string): SnapshotHeader {
  let header: unknown;
  try {
    header = JSON.parse(line);
  } catch {
    throw new SnapshotFormatError(
      `${name} is not an Orchestra snapshot (its first line is not a snapshot header)`,
    );
  }
  const h = header as Partial<SnapshotHeader> | null;
  if (typeof h !== "object" || h === null || typeof h.orchestraSnapshot !== "number") {
    throw new SnapshotFormatError(
      `${name} is not an Orchestra snapshot (its first line is not a snapshot header)`,
    );
  }
  if (
    h.orchestraSnapshot === SNAPSHOT_FORMAT_VERSION &&
    (typeof h.sha256 !== "string" || typeof h.entries !== "number" || typeof h.createdAt !== "string")
  ) {
    throw new SnapshotFormatError(`${name} has a damaged header (sha256, entries or createdAt missing)`);
  }
  return h as SnapshotHeader;
}

function parseEntry(line: string, where: string): SnapshotEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new SnapshotFormatError(`${where} is not JSON`);
  }
  const entry = parsed as Partial<SnapshotEntry> | null;
  if (typeof entry !== "object" || entry === null || typeof entry.key !== "string" || !("value" in entry)) {
    throw new SnapshotFormatError(`${where} is not a {"key", "value"} entry`);
  }
  try {
    assertKey(entry.key);
  } catch {
    throw new SnapshotFormatError(`${where} names an invalid key ${JSON.stringify(entry.key)}`);
  }
  if (entry.key === "/") throw new SnapshotFormatError(`${where} names the root, which is not a key`);
  return { key: entry.key, value: entry.value };
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
