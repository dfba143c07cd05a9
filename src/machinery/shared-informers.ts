// One informer per store directory for a whole process (client-go's SharedInformerFactory): a process that
// runs several components (`orchestra up`) keeps one watch and one cache of /pods, /nodes, /deployments ...
// however many components read them. Components take a SharedInformers as an argument; without one they make
// their own (a process that runs only them, or a test) and start and stop it with themselves.
import type { Clock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import type { NodeConfig } from "../core/node-config.js";
import type { Deployment, NodeInfo, Pod, VolumeReport } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { Informer } from "./informer.js";

export interface SharedInformersOptions {
  clock?: Clock;
  /** Period of every informer's safety-net re-list; 0 turns it off. Default 30 s. */
  resyncMs?: number;
  logger?: Logger;
}

/** The index of the pods informer: a deployment's pods are `byIndex(deployment)`. */
export const podsByDeployment = (pod: Pod): string => pod.deployment;

/** Starting and stopping the informers a component reads, as LeaderLoop's `caches` expect. */
export interface InformerLifecycle {
  /** Starts what is not started yet; resolves once the caches are filled. */
  start(): Promise<void>;
  /** Stops them if they are the component's own; shared ones are the process's to stop. */
  stop(): void;
}

export class SharedInformers {
  private readonly informers = new Map<string, { informer: Informer<unknown>; index?: unknown }>();
  private readonly log: Logger;
  private started = false;

  constructor(
    private readonly store: Store,
    private readonly options: SharedInformersOptions = {},
  ) {
    this.log = options.logger ?? makeLogger("informers");
  }

  /**
   * The informer of `dir`, made on first use (and started at once if this set is started). An index is the
   * first user's choice: asking for another one on the same directory is a programming error.
   */
  informer<T>(dir: string, index?: (value: T) => string | undefined): Informer<T> {
    const existing = this.informers.get(dir);
    if (existing) {
      if (index !== undefined && existing.index !== index)
        throw new Error(`the informer of ${dir} is already indexed otherwise`);
      return existing.informer as Informer<T>;
    }
    const informer = new Informer<T>(this.store, dir, {
      clock: this.options.clock,
      resyncMs: this.options.resyncMs,
      logger: this.log.child({ informer: dir }),
      index,
    });
    this.informers.set(dir, { informer: informer as Informer<unknown>, index });
    if (this.started) void informer.start();
    return informer;
  }

  /** Every pod, indexed by deployment (`podsByDeployment`). */
  pods(): Informer<Pod> {
    return this.informer<Pod>(keys.pods, podsByDeployment);
  }

  /** Worker registrations. */
  nodes(): Informer<NodeInfo> {
    return this.informer<NodeInfo>(keys.nodes);
  }

  deployments(): Informer<Deployment> {
    return this.informer<Deployment>(keys.deployments);
  }

  /** What users set on nodes (cordon, labels). */
  nodeConfigs(): Informer<NodeConfig> {
    return this.informer<NodeConfig>(keys.nodeConfigs);
  }

  /** The named volumes workers report (which node holds which). */
  volumes(): Informer<VolumeReport> {
    return this.informer<VolumeReport>(keys.volumes);
  }

  /** Directories with an informer, in the order they were first asked for. */
  get dirs(): string[] {
    return [...this.informers.keys()];
  }

  /** Starts every informer (those made later start as they are made); resolves once all are synced. */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all([...this.informers.values()].map(({ informer }) => informer.start()));
  }

  /** Stops every informer: once, by whoever made this set. */
  stop(): void {
    this.started = false;
    for (const { informer } of this.informers.values()) informer.stop();
  }

  /**
   * For a component: `shared` and a lifecycle that only starts it (the process stops it, once), or, without
   * one, a set of the component's own that its lifecycle starts and stops.
   */
  static forComponent(
    store: Store,
    shared: SharedInformers | undefined,
    options: SharedInformersOptions,
  ): { informers: SharedInformers; lifecycle: InformerLifecycle } {
    const informers = shared ?? new SharedInformers(store, options);
    return {
      informers,
      lifecycle: { start: () => informers.start(), stop: () => (shared ? undefined : informers.stop()) },
    };
  }
}
