// A client that uses a service the way an application would, in a loop: resolve its DNS name on the
// cluster DNS, then GET every address in the answer; plus a watcher of the ready pods the API lists.
// Both record every failure and the fewest ready pods seen, for "no failed request, N ready throughout".
import { Resolver } from "node:dns/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Pod } from "../../src/core/types.js";
import { httpGet } from "./cluster.js";

export interface ProbeStats {
  /** Rounds of resolve + GET every address. */
  rounds: number;
  requests: number;
  failures: string[];
  /** Fewest addresses in a DNS answer. */
  minAnswers: number;
  /** Fewest ready pods the API listed. */
  minReadyPods: number;
  /** Distinct bodies answered, e.g. `hello from web-x5w4w`. */
  bodies: Set<string>;
}

export interface ProberOptions {
  /** `host:port` of the cluster DNS. */
  dnsServer: string;
  /** The name to resolve, e.g. `web.cluster.local`. */
  hostname: string;
  port: number;
  /** The API, to count ready pods of `deployment`. */
  apiUrl: string;
  deployment: string;
  pauseMs?: number;
}

export class ServiceProber {
  readonly stats: ProbeStats = {
    rounds: 0,
    requests: 0,
    failures: [],
    minAnswers: Number.POSITIVE_INFINITY,
    minReadyPods: Number.POSITIVE_INFINITY,
    bodies: new Set(),
  };
  private running = true;
  private readonly loops: Promise<void>[];
  private readonly resolver: Resolver;

  constructor(private readonly options: ProberOptions) {
    // A resolver of its own: no cache, one try, so that every round asks the cluster DNS afresh.
    this.resolver = new Resolver({ timeout: 2000, tries: 1 });
    this.resolver.setServers([options.dnsServer]);
    this.loops = [this.requestLoop(), this.readyLoop()];
  }

  /** Stops both loops and returns what they saw. */
  async stop(): Promise<ProbeStats> {
    this.running = false;
    await Promise.all(this.loops);
    return this.stats;
  }

  private async requestLoop(): Promise<void> {
    while (this.running) {
      const at = new Date().toISOString();
      let addresses: string[] = [];
      try {
        addresses = await this.resolver.resolve4(this.options.hostname);
      } catch (error) {
        this.stats.failures.push(`${at} resolve ${this.options.hostname}: ${(error as Error).message}`);
      }
      this.stats.minAnswers = Math.min(this.stats.minAnswers, addresses.length);
      await Promise.all(
        addresses.map(async (address) => {
          this.stats.requests++;
          try {
            const answer = await httpGet(`http://${address}:${this.options.port}/`, 3000);
            if (answer.status !== 200) this.stats.failures.push(`${at} ${address}: HTTP ${answer.status}`);
            else this.stats.bodies.add(answer.body.trim());
          } catch (error) {
            const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
            this.stats.failures.push(`${at} GET ${address}: ${cause}`);
          }
        }),
      );
      this.stats.rounds++;
      await sleep(this.options.pauseMs ?? 20);
    }
  }

  private async readyLoop(): Promise<void> {
    while (this.running) {
      try {
        const answer = await httpGet(`${this.options.apiUrl}/pods?deployment=${this.options.deployment}`);
        const pods = JSON.parse(answer.body) as Pod[];
        const ready = pods.filter((pod) => pod.status.ready === true).length;
        this.stats.minReadyPods = Math.min(this.stats.minReadyPods, ready);
      } catch (error) {
        this.stats.failures.push(`listing pods: ${(error as Error).message}`);
      }
      await sleep(50);
    }
  }
}
