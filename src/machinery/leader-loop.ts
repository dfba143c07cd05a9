// Runs a component's loops only while it leads an election: campaigns through Store.campaign, starts the
// loops with the Lease when elected, stops them at once when deposed, and resigns on stop().
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { leader } from "../metrics/metrics.js";
import type { Candidacy, Lease, Store } from "../store/store.js";
import { Backoff } from "./backoff.js";

export interface LeaderLoopOptions {
  store: Store;
  election: string;
  candidate: string;
  /** Start the leader-only loops; their writes go through `transaction(ops, lease)`. */
  onElected: (lease: Lease) => void | Promise<void>;
  /** Stop them. Called when deposed, and by `stop()` while leading. */
  onDeposed: () => void | Promise<void>;
  /** Caches (informers) the component reads, leader or not: filled before it campaigns, stopped by `stop()`. */
  caches?: { start(): Promise<void>; stop(): void }[];
  clock?: Clock;
  logger?: Logger;
}

export class LeaderLoop {
  private readonly options: LeaderLoopOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly retry = new Backoff({ initialMs: 100, maxMs: 10_000 });
  private candidacy?: Candidacy;
  private currentLease?: Lease;
  /** Whether onElected ran without a matching onDeposed yet. */
  private active = false;
  /** Transitions run one after another, in the order the store reported them. */
  private transitions: Promise<void> = Promise.resolve();
  private running = false;
  private cancelRetry?: () => void;

  constructor(options: LeaderLoopOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.log =
      options.logger ?? makeLogger("leader", { election: options.election, candidate: options.candidate });
  }

  /** The lease while leading; writes made under it fail with FencedError once leadership is lost. */
  get lease(): Lease | undefined {
    return this.currentLease;
  }

  get leading(): boolean {
    return this.currentLease !== undefined;
  }

  /** Fills the caches, then joins the election (retrying while the store is unavailable). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    leader.set({ election: this.options.election }, 0);
    await Promise.all((this.options.caches ?? []).map((cache) => cache.start()));
    await this.campaign();
  }

  /** Stops the caches and the leader loops (letting in-flight writes finish), then leaves the election. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const cache of this.options.caches ?? []) cache.stop();
    this.cancelRetry?.();
    this.deposed("stopping");
    await this.transitions;
    const candidacy = this.candidacy;
    this.candidacy = undefined;
    try {
      await candidacy?.resign();
    } catch (err) {
      this.log.warn({ err }, "resign failed");
    }
  }

  private async campaign(): Promise<void> {
    try {
      const candidacy = await this.options.store.campaign(this.options.election, this.options.candidate, {
        elected: (lease) => this.elected(lease),
        deposed: () => this.deposed("deposed"),
      });
      if (!this.running) {
        await candidacy.resign();
        return;
      }
      this.candidacy = candidacy;
      this.retry.forget("campaign");
      this.log.info("campaigning");
    } catch (err) {
      if (!this.running) return;
      const delay = this.retry.next("campaign");
      this.log.warn({ err, retryInMs: delay }, "campaign failed");
      this.cancelRetry = this.clock.setTimeout(() => void this.campaign(), delay);
    }
  }

  private elected(lease: Lease): void {
    if (!this.running) return;
    this.currentLease = lease;
    leader.set({ election: this.options.election }, 1);
    this.log.info("elected leader");
    this.transitions = this.transitions.then(async () => {
      // Deposed (or stopped) while an earlier transition ran: do not start.
      if (this.currentLease !== lease || this.active) return;
      this.active = true;
      try {
        await this.options.onElected(lease);
      } catch (err) {
        this.log.error({ err }, "starting the leader loops failed");
      }
    });
  }

  private deposed(why: string): void {
    // Writes that read `lease` from now on have none, even before the loops have stopped.
    const wasLeading = this.currentLease !== undefined;
    this.currentLease = undefined;
    if (wasLeading) {
      leader.set({ election: this.options.election }, 0);
      this.log.info({ why }, "leadership ended");
    }
    this.transitions = this.transitions.then(async () => {
      if (!this.active) return;
      this.active = false;
      try {
        await this.options.onDeposed();
      } catch (err) {
        this.log.error({ err }, "stopping the leader loops failed");
      }
    });
  }
}
