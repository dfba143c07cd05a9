// A worker's side of published ports: keeps, in its machine's network namespace, an nftables table of the
// node's published ports (published-port-ruleset.ts) that sends every connection to a ready pod, following
// the store's deployments and pods by watch. A change is one `nft -f`, which swaps the whole table at once.
// Level-triggered: every change, and a periodic resync, plans again and writes only what differs. The table
// stays when the worker stops, so that a restart has no gap (the next start replaces it once its caches are
// filled); it goes when no published port is left, and `orchestra down` removes it.
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { Reconciler } from "../machinery/reconciler.js";
import { SharedInformers } from "../machinery/shared-informers.js";
import type { Store } from "../store/store.js";
import { describeRule, ruleComment, sameRule, USER_CHAIN } from "./firewall-plan.js";
import type { FirewallRule, NetworkKernel } from "./kernel.js";
import { planPublishedPorts } from "./published-port-plan.js";
import { portTableName, renderPortRuleset, renderPortTableRemoval } from "./published-port-ruleset.js";

/** The comment of the rule that lets DNATed connections through Docker's FORWARD chain: then the node. */
export const FORWARD_TAG_PREFIX = "orchestra:published-ports:";

/**
 * Docker drops forwarded connections to its bridges that none of its own published ports asked for; this
 * rule, first in DOCKER-USER, lets through those a published port's DNAT made (one copy per node).
 */
export function dnatForwardRule(node: string): FirewallRule {
  return {
    table: "filter",
    chain: USER_CHAIN,
    args: [
      "-m",
      "conntrack",
      "--ctstate",
      "DNAT",
      "-m",
      "comment",
      "--comment",
      `${FORWARD_TAG_PREFIX}${node}`,
      "-j",
      "ACCEPT",
    ],
  };
}

export interface PublishedPortRulesOptions {
  store: Store;
  kernel: NetworkKernel;
  node: string;
  /** This node's pod subnet and its gateway: hairpin connections from it, and masquerade, use them. */
  subnet?: string;
  gateway?: string;
  /** The process's informers, when it has some; else the component makes its own. */
  informers?: SharedInformers;
  clock?: Clock;
  /** Safety-net re-check against the machine. Default 30 s. */
  resyncMs?: number;
}

const KEY = "published-ports";

export class PublishedPortRules {
  readonly table: string;
  private readonly log: Logger;
  private readonly reconciler: Reconciler<string>;
  private readonly informers: SharedInformers;
  private readonly lifecycle: { start(): Promise<void>; stop(): void };
  /** The script last applied, or undefined when unknown (at start, after a failure): then the machine is read. */
  private applied?: string;
  private localhost?: boolean;

  constructor(private readonly options: PublishedPortRulesOptions) {
    this.table = portTableName(options.node);
    this.log = makeLogger("published-ports", { node: options.node });
    const clock = options.clock ?? systemClock;
    const { informers, lifecycle } = SharedInformers.forComponent(options.store, options.informers, {
      clock,
      resyncMs: options.resyncMs,
      logger: this.log,
    });
    this.informers = informers;
    this.lifecycle = lifecycle;
    this.reconciler = new Reconciler<string>({
      reconcile: () => this.sync(),
      clock,
      logger: this.log,
      backoff: { initialMs: 100, maxMs: 5_000 },
    });
  }

  /** Resolves once the table matches the store as read now. */
  async start(): Promise<void> {
    const enqueue = () => this.reconciler.enqueue(KEY);
    // A resync also checks the machine: a table someone removed is written again.
    const resync = () => {
      this.applied = undefined;
      enqueue();
    };
    const handlers = { onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue, onResync: resync };
    this.informers.deployments().addHandlers(handlers);
    this.informers.pods().addHandlers(handlers);
    // Nothing is written before both caches hold a full listing: an empty cache would wipe a good table.
    await this.lifecycle.start();
    const localnet = await this.options.kernel.sysctl("net.ipv4.conf.all.route_localnet");
    this.localhost = localnet === "1";
    if (!this.localhost) {
      this.log.info("published ports are not served on 127.0.0.1 (net.ipv4.conf.all.route_localnet is 0)");
    }
    await this.sync();
    this.reconciler.start();
  }

  /** Stops following the store. The table stays, so that connections keep flowing until the next start. */
  async stop(): Promise<void> {
    this.lifecycle.stop();
    await this.reconciler.stop();
  }

  /** Resolves when no change is waiting to be applied (for tests). */
  whenIdle(): Promise<void> {
    return this.reconciler.whenIdle();
  }

  private async sync(): Promise<void> {
    const { kernel, node, subnet, gateway } = this.options;
    const services = planPublishedPorts(
      node,
      this.informers.deployments().list(),
      this.informers.pods().list(),
    );
    const script =
      services.length === 0
        ? undefined
        : renderPortRuleset(services, {
            table: this.table,
            localhost: this.localhost ?? false,
            masqueradeSources: subnet ? [subnet] : [],
            snatTo: gateway,
          });
    if (this.applied !== undefined && this.applied === (script ?? "")) return;
    try {
      if (script) {
        await this.ensureForwardRule(true);
        await kernel.applyNft(script);
      } else {
        if ((await kernel.nftTables()).includes(this.table))
          await kernel.applyNft(renderPortTableRemoval(this.table));
        await this.ensureForwardRule(false);
      }
    } catch (err) {
      this.applied = undefined;
      throw err;
    }
    if (this.applied !== (script ?? "")) {
      this.log.info(
        {
          ports: services.map((s) => `${s.publishedPort}/${s.protocol}→${s.deployment}:${s.backends.length}`),
        },
        script ? "published ports set" : "no published ports",
      );
    }
    this.applied = script ?? "";
  }

  private async ensureForwardRule(wanted: boolean): Promise<void> {
    const { kernel, node } = this.options;
    const rule = dnatForwardRule(node);
    const present = (await kernel.rules("filter")).filter((r) => sameRule(r, rule));
    if (wanted && present.length === 0) {
      await kernel.ensureChain("filter", USER_CHAIN);
      await kernel.insertRule(rule);
      this.log.info({ rule: describeRule(rule) }, "firewall rule added");
    }
    for (const extra of wanted ? present.slice(1) : present) await kernel.deleteRule(extra);
  }
}

/** Removes every published-port table and forward rule of Orchestra's from the machine (`orchestra down`). */
export async function removePublishedPorts(kernel: NetworkKernel): Promise<number> {
  const tables = (await kernel.nftTables()).filter((name) => name.startsWith(portTableName()));
  for (const table of tables) await kernel.applyNft(renderPortTableRemoval(table));
  const rules = (await kernel.rules("filter")).filter((rule) =>
    ruleComment(rule)?.startsWith(FORWARD_TAG_PREFIX),
  );
  for (const rule of rules) await kernel.deleteRule(rule);
  return tables.length;
}
