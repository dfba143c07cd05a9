// Leader election by the ZooKeeper recipe: each candidate holds an ephemeral sequential node under the
// election's folder; the lowest leads; every other candidate watches only its predecessor (no herd effect).
import { randomUUID } from "node:crypto";
import { CreateMode, Exception } from "node-zookeeper-client";
import { UnavailableError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { CampaignHandlers, Candidacy, Lease } from "../store.js";
import * as zk from "./client-calls.js";
import type { ZooKeeperSession } from "./zookeeper-session.js";

/** Where an election lives: its folder as a ZooKeeper path and as a store key. */
export interface ElectionPlace {
  name: string;
  path: string;
  key: string;
  /** Creates the folder (and its parents) if missing. */
  ensureFolder(): Promise<void>;
}

/** The sequence number ZooKeeper appended to a node name: its last ten digits. */
export function sequenceOf(node: string): number {
  return Number(node.slice(-10));
}

/** Election nodes in order of candidacy: the first one leads. */
export function byCandidacy(nodes: string[]): string[] {
  return nodes.filter((n) => /-n_\d{10}$/.test(n)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

export class ZooKeeperCandidacy implements Candidacy {
  private isLeading = false;
  private resigned = false;
  /** Our node's name in the election folder, once created (and until our session loses it). */
  private node: string | undefined;
  /** Part of our node's name, to find it again when a create's answer was lost with the connection. */
  private readonly token = randomUUID();
  private running = false;
  private runAgain = false;
  /** Resigned, but our node could not be removed yet: retried on reconnect, unless the session ends. */
  private removalPending = false;

  constructor(
    private readonly place: ElectionPlace,
    private readonly candidate: string,
    private readonly handlers: CampaignHandlers,
    private readonly session: ZooKeeperSession,
    private readonly log: Logger,
    /** Called once the candidacy has left for good, so that the store forgets it. */
    private readonly retire: () => void,
  ) {}

  get leading(): boolean {
    return this.isLeading;
  }

  /** Joins the election; resolves once our node exists (elected() may already have been called). */
  async join(): Promise<void> {
    await this.createNode();
    try {
      await this.evaluate();
    } catch (error) {
      // We are in line; the check runs again on reconnect.
      if (!(error instanceof UnavailableError)) throw error;
    }
  }

  /**
   * Leaves the election. Our node is found by our token, so that a node whose create answer was lost
   * goes too: a node left behind would stand in line (or lead) for nobody until the session ended.
   */
  async resign(): Promise<void> {
    if (this.resigned) return;
    this.resigned = true;
    this.depose();
    await this.removeOwnNodes();
  }

  /** The session (and with it our node) is gone: stop leading at once. */
  sessionExpired(): void {
    this.node = undefined;
    this.depose();
    if (this.resigned && this.removalPending) {
      this.removalPending = false;
      this.retire();
    }
  }

  /** Connected again: re-join on a new session, otherwise check whether anything changed meanwhile. */
  reconnected(): void {
    if (!this.resigned) {
      this.schedule();
    } else if (this.removalPending) {
      this.removeOwnNodes().catch((error) => this.log.warn({ err: error }, "could not leave the election"));
    }
  }

  /** A write under our lease failed its fence: we are not the leader any more, whatever we believed. */
  fenceFailed(lease: Lease): void {
    if (!this.isLeading || lease.fence.key !== this.fenceKey()) return;
    this.depose();
    this.schedule();
  }

  /** Closing the store: leave without touching ZooKeeper (closing the session removes our node). */
  abandon(): void {
    this.resigned = true;
    this.node = undefined;
    this.depose();
  }

  private async removeOwnNodes(): Promise<void> {
    this.node = undefined;
    this.removalPending = true;
    try {
      let nodes: string[] = [];
      try {
        nodes = await this.session.run((client) => zk.getChildren(client, this.place.path));
      } catch (error) {
        if (zk.zkCode(error) !== Exception.NO_NODE) throw error;
      }
      for (const node of nodes.filter((n) => n.startsWith(`${this.token}-`))) {
        try {
          await this.session.run((client) => zk.remove(client, `${this.place.path}/${node}`, -1));
        } catch (error) {
          if (zk.zkCode(error) !== Exception.NO_NODE) throw error;
        }
      }
    } catch (error) {
      // Unreachable: tried again on reconnect, and the node ends with the session anyway.
      if (error instanceof UnavailableError) return;
      throw error;
    }
    this.removalPending = false;
    this.retire();
  }

  private fenceKey(): string {
    return `${this.place.key}/${this.node}`;
  }

  private depose(): void {
    if (!this.isLeading) return;
    this.isLeading = false;
    this.log.info({ election: this.place.name, candidate: this.candidate }, "deposed");
    try {
      this.handlers.deposed();
    } catch (error) {
      this.log.error({ err: error }, "deposed handler failed");
    }
  }

  /** Runs evaluate() now or after the running one, never two at once; errors are left to the next event. */
  private schedule(): void {
    if (this.running) {
      this.runAgain = true;
      return;
    }
    this.evaluate().catch((error) => {
      if (!(error instanceof UnavailableError)) {
        this.log.warn({ election: this.place.name, err: error }, "election check failed");
      }
    });
  }

  private readonly onPredecessorChanged: zk.Watcher = () => this.schedule();

  private async createNode(): Promise<void> {
    await this.place.ensureFolder();
    const prefix = `${this.place.path}/${this.token}-n_`;
    const data = Buffer.from(JSON.stringify(this.candidate));
    const created = await this.session.run((client) =>
      zk.create(client, prefix, data, CreateMode.EPHEMERAL_SEQUENTIAL, this.session.acls),
    );
    if (this.resigned) {
      // resign() ran while the node was being made: it must not stay in line.
      await this.session.run((client) => zk.remove(client, created, -1)).catch(() => undefined);
      return;
    }
    this.node = created.slice(created.lastIndexOf("/") + 1);
  }

  /** Leads if our node is the lowest; otherwise watches the node just before ours. */
  private async evaluate(): Promise<void> {
    this.running = true;
    try {
      do {
        this.runAgain = false;
        await this.evaluateOnce();
      } while (this.runAgain && !this.resigned);
    } finally {
      this.running = false;
    }
  }

  private async evaluateOnce(): Promise<void> {
    if (this.resigned) return;
    let nodes: string[];
    try {
      nodes = byCandidacy(await this.session.run((client) => zk.getChildren(client, this.place.path)));
    } catch (error) {
      if (zk.zkCode(error) !== Exception.NO_NODE) throw error;
      nodes = [];
    }
    if (this.resigned) return;
    // A create whose answer was lost may still have made our node: find it by our token.
    const mine = this.node ?? nodes.find((n) => n.startsWith(`${this.token}-`));
    if (!mine || !nodes.includes(mine)) {
      this.node = undefined;
      this.depose();
      await this.createNode();
      this.runAgain = true;
      return;
    }
    this.node = mine;
    const index = nodes.indexOf(mine);
    if (index === 0) {
      if (!this.isLeading) this.elect();
      return;
    }
    this.depose();
    const predecessor = `${this.place.path}/${nodes[index - 1]}`;
    const stat = await this.session.run((client) =>
      zk.exists(client, predecessor, this.onPredecessorChanged),
    );
    // Gone between the listing and the watch: look again.
    if (!stat && !this.resigned) this.runAgain = true;
  }

  private elect(): void {
    this.isLeading = true;
    const lease: Lease = {
      election: this.place.name,
      candidate: this.candidate,
      // Our node, created at version 0 and never written: gone once our session ends.
      fence: { op: "check", key: this.fenceKey(), version: 0 },
    };
    this.log.info({ election: this.place.name, candidate: this.candidate }, "elected");
    try {
      this.handlers.elected(lease);
    } catch (error) {
      this.log.error({ err: error }, "elected handler failed");
    }
  }
}
