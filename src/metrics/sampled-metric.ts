// A gauge (or a counter kept by someone else, such as a container's CPU time) read at scrape time from the
// sources attached to it (informer caches, work queues, the engine's stats), so that nothing is counted on the
// hot path and a source that goes away takes its figures along.
import { Counter, Gauge } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";

/** One sample: label values and a number. */
export type Sample<L extends string> = [labels: Partial<Record<L, string>>, value: number];

export type SampleSource<L extends string> = () => Iterable<Sample<L>> | Promise<Iterable<Sample<L>>>;

export class SampledMetric<L extends string> {
  private readonly sources = new Set<SampleSource<L>>();

  constructor(kind: "gauge" | "counter", name: string, help: string, labelNames: readonly L[]) {
    const sources = this.sources;
    const options = { name, help, labelNames, registers: [metricsRegistry] };
    // Both kinds are refilled from the sources on each scrape; several sources in one process (tests run
    // several components side by side) add up.
    async function collect(this: Gauge<L> | Counter<L>): Promise<void> {
      this.reset();
      for (const source of sources) {
        for (const [labels, value] of await source()) this.inc(labels, value);
      }
    }
    if (kind === "gauge") new Gauge<L>({ ...options, collect });
    else new Counter<L>({ ...options, collect });
  }

  /** Attaches a source; the returned function detaches it (a component stopping, a leadership ending). */
  attach(source: SampleSource<L>): () => void {
    this.sources.add(source);
    return () => {
      this.sources.delete(source);
    };
  }
}

/** Counts of `values` by their own value, with every name in `known` present (0 when absent). */
export function countBy<L extends string>(
  label: L,
  known: readonly string[],
  values: Iterable<string>,
): Sample<L>[] {
  const counts = new Map<string, number>(known.map((name) => [name, 0]));
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([name, count]) => [{ [label]: name } as Partial<Record<L, string>>, count]);
}
