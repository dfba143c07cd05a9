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
  /**
   * `enable` (`orchestra up`): also publish on 127.0.0.1, setting `route_localnet` on the pod bridge (the
   * interface such connections leave by, and only it) when it is off; the bridge takes the setting with it when
   * `orchestra down` removes the network. Default `if-allowed`: only when the kernel already routes them.
   */
  loopback?: "enable" | "if-allowed";
  clock?: Clock;
  /** Safety-net re-check against the machine. Default 30 s. */
  resyncMs?: number;
}

const KEY = "published-ports";
const ROUTE_LOCALNET = (device: string) => `net.ipv4.conf.${device}.route_localnet`;
/** How long the worker holds a failing pod's container for the rules to drop it (they take milliseconds). */
export const WITHDRAW_TIMEOUT_MS = 2_000;

export class PublishedPortRules {
  readonly table: string;
  private readonly log: Logger;
  private readonly reconciler: Reconciler<string>;
  private readonly informers: SharedInformers;
  private readonly lifecycle: { start(): Promise<void>; stop(): void };
  /** The script last applied, or undefined when unknown (at start, after a failure): then the machine is read. */
  private applied?: string;
  /** The pods the applied table sends new connections to. */
  private backends = new Set<string>();
  /** Callers of `withdrawn` waiting for a pod to leave the table. */
  private waiters: { pod: string; done: () => void }[] = [];
  /** The forward rule was seen in place since the last resync or failure: a change needs only `nft -f`. */
  private forwardRuleChecked = false;
  private localhost?: boolean;
  private readonly clock: Clock;

  constructor(private readonly options: PublishedPortRulesOptions) {
    this.table = portTableName(options.node);
    this.log = makeLogger("published-ports", { node: options.node });
    const clock = options.clock ?? systemClock;
    this.clock = clock;
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
      name: "published-ports",
      backoff: { initialMs: 100, maxMs: 5_000 },
    });
  }

  /** Resolves once the table matches the store as read now. */
  async start(): Promise<void> {
    const enqueue = () => this.reconciler.enqueue(KEY);
    // A resync also checks the machine: a table someone removed is written again.
    const resync = () => {
      this.applied = undefined;
      this.forwardRuleChecked = false;
      enqueue();
    };
    const handlers = { onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue, onResync: resync };
    this.informers.deployments().addHandlers(handlers);
    this.informers.pods().addHandlers(handlers);
    // Nothing is written before both caches hold a full listing: an empty cache would wipe a good table.
    await this.lifecycle.start();
    await this.sync();
    this.reconciler.start();
  }

  /** Whether 127.0.0.1 is published too: the kernel must route loopback sources out of the pod bridge. */
  private async routesLoopback(): Promise<boolean> {
    const { kernel, gateway, loopback } = this.options;
    if ((await kernel.sysctl(ROUTE_LOCALNET("all"))) === "1") return true;
    const bridge = gateway === undefined ? undefined : await kernel.interfaceWithAddress(gateway);
    const key = bridge === undefined ? undefined : ROUTE_LOCALNET(bridge);
    if (key !== undefined && (await kernel.sysctl(key)) === "1") return true;
    if (loopback === "enable" && key !== undefined) {
      try {
        await kernel.setSysctl(key, "1");
        this.log.info(
          { sysctl: key },
          "published ports are served on 127.0.0.1 too: route_localnet set on the pod bridge",
        );
        return true;
      } catch (err) {
        this.log.warn(
          { err, sysctl: key },
          "published ports are not served on 127.0.0.1: route_localnet could not be set",
        );
        return false;
      }
    }
    this.log.info(
      `published ports are not served on 127.0.0.1 (${key ?? ROUTE_LOCALNET("all")} is 0); the machine's other addresses serve them`,
    );
    return false;
  }

  /** Stops following the store. The table stays, so that connections keep flowing until the next start. */
  async stop(): Promise<void> {
    this.lifecycle.stop();
    await this.reconciler.stop();
    this.wake(() => true);
  }

  /**
   * Resolves once the node's table sends no new connection to `pod` (at once when it sends none), or after
   * `timeoutMs` at most: the worker waits for it before stopping a failing pod's container, so that a
   * connection arriving meanwhile is answered by the pod rather than sent to an address that has just gone.
   */
  withdrawn(pod: string, timeoutMs = WITHDRAW_TIMEOUT_MS): Promise<void> {
    if (!this.backends.has(pod)) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.clock.setTimeout(() => {
        this.log.warn(
          { pod, timeoutMs },
          "the pod is still in the published ports' rules: stopping it anyway",
        );
        this.wake((waiter) => waiter === entry);
      }, timeoutMs);
      const entry = {
        pod,
        done: () => {
          cancel();
          resolve();
        },
      };
      this.waiters.push(entry);
    });
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
    // Looked at (and route_localnet set, when asked) only once a port is published: nothing else needs it.
    if (services.length > 0 && this.localhost === undefined) this.localhost = await this.routesLoopback();
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
        // The forward rule is looked at (an iptables-save) only when it may be missing, so that a change of
        // backends costs one `nft -f`: a pod that stops being ready leaves the rules as soon as it can.
        if (!this.forwardRuleChecked) await this.ensureForwardRule(true);
        this.forwardRuleChecked = true;
        await kernel.applyNft(script);
      } else {
        if ((await kernel.nftTables()).includes(this.table))
          await kernel.applyNft(renderPortTableRemoval(this.table));
        await this.ensureForwardRule(false);
        this.forwardRuleChecked = false;
      }
    } catch (err) {
      this.applied = undefined;
      this.forwardRuleChecked = false;
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
    this.backends = new Set(services.flatMap((service) => service.backends.map((backend) => backend.pod)));
    this.wake((waiter) => !this.backends.has(waiter.pod));
  }

  private wake(which: (waiter: { pod: string }) => boolean): void {
    const woken = this.waiters.filter(which);
    this.waiters = this.waiters.filter((waiter) => !which(waiter));
    for (const waiter of woken) waiter.done();
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
