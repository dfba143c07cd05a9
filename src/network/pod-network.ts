// A worker's side of the pod network across machines: keeps, in this machine's network namespace, a route to
// every other node's /24 via that node's address (following the store by watch, so a new node is routed within
// milliseconds of claiming its subnet, and a removed node's route goes) and the firewall rules its own /24 needs
// (firewall-plan.ts). Level-triggered: every change, and a periodic resync, re-plans from the machine's state.
// Routes and rules stay when the worker stops (its pods keep running); `orchestra down` removes them.
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { Informer } from "../machinery/informer.js";
import { Reconciler } from "../machinery/reconciler.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { describeRule, planFirewall, podNetworkRules, USER_CHAIN } from "./firewall-plan.js";
import type { NetworkKernel } from "./kernel.js";
import type { NodeSubnet } from "./records.js";
import { planRoutes } from "./route-plan.js";

export interface PodNetworkOptions {
  store: Store;
  kernel: NetworkKernel;
  /** This node, and the /24 it holds in the cluster's pod CIDR. */
  node: string;
  subnet: string;
  podCidr: string;
  clock?: Clock;
  /** Safety-net re-check of routes and rules against the machine. Default 30 s. */
  resyncMs?: number;
}

type Part = "routes" | "firewall";

export class PodNetwork {
  private readonly log: Logger;
  private readonly nodes: Informer<NodeSubnet>;
  private readonly reconciler: Reconciler<Part>;
  /** The last reason logged per node that gets no route, so that a resync does not repeat it. */
  private readonly skipped = new Map<string, string>();

  constructor(private readonly options: PodNetworkOptions) {
    this.log = makeLogger("pod-network", { node: options.node, subnet: options.subnet });
    const clock = options.clock ?? systemClock;
    this.nodes = new Informer<NodeSubnet>(options.store, keys.nodeSubnets, {
      clock,
      resyncMs: options.resyncMs,
      logger: this.log,
    });
    this.reconciler = new Reconciler<Part>({
      reconcile: (part) => (part === "routes" ? this.syncRoutes() : this.syncFirewall()),
      clock,
      logger: this.log,
      backoff: { initialMs: 200, maxMs: 10_000 },
    });
  }

  /** Resolves once the rules and the routes to every node known now are in place. */
  async start(): Promise<void> {
    this.nodes.addHandlers({
      onAdd: () => this.reconciler.enqueue("routes"),
      onUpdate: () => this.reconciler.enqueue("routes"),
      onDelete: () => this.reconciler.enqueue("routes"),
      onResync: () => {
        this.reconciler.enqueue("routes");
        this.reconciler.enqueue("firewall");
      },
    });
    await this.nodes.start();
    await this.syncFirewall();
    await this.syncRoutes();
    this.reconciler.start();
    this.log.info({ podCidr: this.options.podCidr }, "pod network ready");
  }

  /** Stops following the store. Routes and rules stay: the pods keep running and keep being reachable. */
  async stop(): Promise<void> {
    this.nodes.stop();
    await this.reconciler.stop();
  }

  /** Resolves when no change is waiting to be applied (for tests). */
  whenIdle(): Promise<void> {
    return this.reconciler.whenIdle();
  }

  private async syncRoutes(): Promise<void> {
    const { kernel } = this.options;
    const [routes, localAddresses] = await Promise.all([kernel.routes(), kernel.localAddresses()]);
    const plan = planRoutes({
      self: this.options.node,
      podCidr: this.options.podCidr,
      nodes: this.nodes.list(),
      routes,
      localAddresses,
    });
    for (const { node, reason } of plan.skipped) {
      if (this.skipped.get(node) === reason) continue;
      this.skipped.set(node, reason);
      this.log.info({ peer: node, reason }, "no route to this node's pods");
    }
    const failures: string[] = [];
    for (const change of plan.replace) {
      try {
        await kernel.replaceRoute(change.dst, change.via);
        this.skipped.delete(change.node);
        this.log.info({ peer: change.node, dst: change.dst, via: change.via }, "route set");
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    for (const dst of plan.remove) {
      try {
        await kernel.deleteRoute(dst);
        this.log.info({ dst }, "route removed: no node holds that subnet any more");
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length > 0) throw new Error(`routes: ${failures.join("; ")}`);
  }

  private async syncFirewall(): Promise<void> {
    const { kernel, node, subnet, podCidr } = this.options;
    const wanted = podNetworkRules(node, subnet, podCidr);
    const present = [...(await kernel.rules("filter")), ...(await kernel.rules("nat"))];
    const plan = planFirewall(node, wanted, present);
    if (plan.insert.some((rule) => rule.chain === USER_CHAIN)) await kernel.ensureChain("filter", USER_CHAIN);
    for (const rule of plan.remove) {
      await kernel.deleteRule(rule);
      this.log.info({ rule: describeRule(rule) }, "firewall rule removed");
    }
    for (const rule of plan.insert) {
      await kernel.insertRule(rule);
      this.log.info({ rule: describeRule(rule) }, "firewall rule added");
    }
  }
}
