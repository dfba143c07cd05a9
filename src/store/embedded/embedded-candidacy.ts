// One client's place in a leader election: an ephemeral sequential key under /elections/<name>/, the lowest
// leads (ZooKeeper's recipe). The lease's fence checks that key, so a deposed leader's write fails.
import { NotFoundError } from "../../core/errors.js";
import { logger } from "../../core/logger.js";
import { assertKey, type CampaignHandlers, type Candidacy, childKey, type Lease } from "../store.js";
import type { EmbeddedBackend } from "./embedded-backend.js";
import type { Watcher } from "./watch-hub.js";

/** Where the candidates of every election are queued. */
export const ELECTIONS_DIR = "/elections";

export function electionDir(election: string): string {
  const dir = childKey(ELECTIONS_DIR, election);
  assertKey(dir);
  return dir;
}

const log = logger("store.embedded");

export class EmbeddedCandidacy implements Candidacy {
  private readonly dir: string;
  private readonly watcher: Watcher;
  /** Our key in the queue; undefined between sessions and after resigning. */
  private key: string | undefined;
  private leadingNow = false;
  private resigned = false;

  constructor(
    private readonly backend: EmbeddedBackend,
    /** The owning client's current session: a candidacy re-joins under the new one after an expiry. */
    private readonly session: () => number,
    readonly election: string,
    readonly candidate: string,
    private readonly handlers: CampaignHandlers,
    private readonly onResigned: (candidacy: EmbeddedCandidacy) => void,
  ) {
    this.dir = electionDir(election);
    // Any change in the queue may make us the head (or show that our key was removed from outside).
    this.watcher = backend.watch(this.dir, () => this.evaluate()).watcher;
  }

  get leading(): boolean {
    return this.leadingNow;
  }

  /** Takes a place at the end of the queue; the watch reports whether it is the head. */
  join(): void {
    this.key = this.backend.createSequential(`${this.dir}/c-`, this.candidate, this.session(), true).key;
  }

  /** The session (and so our key) is gone: stop leading now; the owner calls join() under the new session. */
  sessionEnded(): void {
    this.key = undefined;
    this.lose();
  }

  async resign(): Promise<void> {
    this.resignNow();
  }

  resignNow(): void {
    if (this.resigned) return;
    this.resigned = true;
    this.backend.unwatch(this.watcher);
    // Deposed before the key goes, so the next leader never overlaps with us.
    this.lose();
    const key = this.key;
    this.key = undefined;
    if (key !== undefined) {
      try {
        this.backend.commitNow([{ op: "delete", key }], this.session());
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    this.onResigned(this);
  }

  private evaluate(): void {
    if (this.resigned || this.key === undefined) return;
    let queue: string[];
    try {
      queue = this.backend.childKeys(this.dir);
    } catch (error) {
      log.debug({ err: error, election: this.election }, "election not evaluated");
      return;
    }
    if (!queue.includes(this.key)) {
      // Someone deleted our key: we are out of the queue, so leave leadership and line up again.
      this.key = undefined;
      this.lose();
      this.join();
      return;
    }
    if (!this.leadingNow && queue[0] === this.key) {
      this.leadingNow = true;
      const lease: Lease = {
        election: this.election,
        candidate: this.candidate,
        fence: { op: "check", key: this.key, version: 0 },
      };
      log.info({ election: this.election, candidate: this.candidate }, "elected");
      this.call("elected", () => this.handlers.elected(lease));
    }
  }

  private lose(): void {
    if (!this.leadingNow) return;
    this.leadingNow = false;
    log.info({ election: this.election, candidate: this.candidate }, "deposed");
    this.call("deposed", () => this.handlers.deposed());
  }

  private call(handler: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      log.error(
        { err: error, election: this.election, candidate: this.candidate },
        `${handler} handler failed`,
      );
    }
  }
}
