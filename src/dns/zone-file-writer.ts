// Keeps the zone file current: a change schedules one write a short while later (bursts of pod changes
// make one write), and every write is atomic (a temporary file in the same folder, then rename), so a
// server loading the file never sees half of it.
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { zoneFileSerial } from "./zone-file.js";

export interface ZoneFileWriterOptions {
  path: string;
  /** The file's text now; called at write time. */
  render(): string;
  /** Delay between a change and the write it causes. Default 100 ms. */
  debounceMs?: number;
  /** Delay before trying again after a failed write. Default 1 s. */
  retryMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export class ZoneFileWriter {
  private readonly clock: Clock;
  private readonly log: Logger;
  private cancelTimer?: () => void;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: ZoneFileWriterOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? makeLogger("dns.zone-file", { path: options.path });
  }

  /** Something in the zone changed: write it soon. */
  changed(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.schedule(this.options.debounceMs ?? 100);
  }

  /** Writes now if anything changed since the last write; resolves when the file is on disk. */
  flush(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.writing = this.writing.then(() => this.writeIfDirty());
    return this.writing;
  }

  /** Writes what is pending, then stops writing. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    this.cancelTimer?.();
  }

  private schedule(delayMs: number): void {
    if (this.cancelTimer) return;
    this.cancelTimer = this.clock.setTimeout(() => {
      this.cancelTimer = undefined;
      void this.flush();
    }, delayMs);
  }

  private async writeIfDirty(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await writeFileAtomically(this.options.path, this.options.render());
      this.log.debug("zone file written");
    } catch (err) {
      this.log.error({ err }, "writing the zone file failed; trying again");
      this.dirty = true;
      if (!this.stopped) this.schedule(this.options.retryMs ?? 1000);
    }
  }
}

/** The SOA serial of the zone file at `path`, if it exists and has one. */
export async function readZoneFileSerial(path: string): Promise<number | undefined> {
  try {
    return zoneFileSerial(await readFile(path, "utf8"));
  } catch {
    return undefined;
  }
}

/** Replaces `path` with `text` in one step: readers see the old file or the new one, never a mix. */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const file = await open(temporary, "wx", 0o644);
    try {
      await file.writeFile(text, "utf8");
      // On disk before the rename, so that a crash cannot leave an empty file under the real name.
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
