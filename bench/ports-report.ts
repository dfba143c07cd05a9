// The summary of bench:ports (bench/ports.ts): medians per path over the rounds, each against direct.
import { fmt, percentile, printTable, say } from "./stats.js";

export const PATHS = ["direct", "published local", "published remote", "docker -p"] as const;
export type PathName = (typeof PATHS)[number];

export interface Sample {
  round: number;
  path: PathName;
  /** iperf3: what the server received, Gbit/s, and the sender's retransmissions. */
  gbits: number;
  retransmits: number;
  /** TCP connect time, µs. */
  connectP50: number;
  connectP99: number;
  /** HTTP: answers per second and latency in whole ms (autocannon). */
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

export function report(paths: PathName[], samples: Sample[]): void {
  const median = (path: PathName, pick: (s: Sample) => number) =>
    percentile(samples.filter((s) => s.path === path).map(pick), 0.5);
  // Per round, against direct in the same round: the machine's load moves less within a round than across
  // rounds. Shown as the median of the rounds' figures and their range.
  const perRound = (path: PathName, compare: (s: Sample, direct: Sample) => number) => {
    const values = samples
      .filter((s) => s.path === path)
      .map((s) => {
        const direct = samples.find((d) => d.round === s.round && d.path === "direct");
        return direct ? compare(s, direct) : Number.NaN;
      });
    return `${fmt(percentile(values, 0.5))} (${fmt(Math.min(...values))} to ${fmt(Math.max(...values))})`;
  };
  const gbits = (s: Sample) => s.gbits;
  const baseGbits = median("direct", gbits);
  say("");
  say("Throughput of the path (iperf3, one TCP stream):");
  printTable(
    ["median", "Gbit/s", "vs direct", "per round: vs direct", "retransmits"],
    paths.map((path) => [
      path,
      fmt(median(path, gbits)),
      fmt(median(path, gbits) / baseGbits),
      perRound(path, (s, d) => s.gbits / d.gbits),
      fmt(median(path, (s) => s.retransmits)),
    ]),
  );
  const base50 = median("direct", (s) => s.connectP50);
  const base99 = median("direct", (s) => s.connectP99);
  say("");
  say("Latency of the path (TCP connect, paced):");
  printTable(
    [
      "median",
      "connect p50 µs",
      "connect p99 µs",
      "p50 − direct (µs)",
      "p99 − direct (µs)",
      "per round: p99 − direct (µs)",
    ],
    paths.map((path) => [
      path,
      fmt(median(path, (s) => s.connectP50)),
      fmt(median(path, (s) => s.connectP99)),
      fmt(median(path, (s) => s.connectP50) - base50),
      fmt(median(path, (s) => s.connectP99) - base99),
      perRound(path, (s, d) => s.connectP99 - d.connectP99),
    ]),
  );
  const baseRps = median("direct", (s) => s.rps);
  const baseP99 = median("direct", (s) => s.p99);
  say("");
  say("HTTP (bounded by busybox httpd's fork per connection, not by the path):");
  printTable(
    ["median", "requests/s", "p50 ms", "p99 ms", "requests/s vs direct", "p99 − direct (ms)"],
    paths.map((path) => [
      path,
      fmt(median(path, (s) => s.rps)),
      String(median(path, (s) => s.p50)),
      String(median(path, (s) => s.p99)),
      fmt(median(path, (s) => s.rps) / baseRps),
      String(median(path, (s) => s.p99) - baseP99),
    ]),
  );
  say("");
  for (const path of paths.filter((p) => p === "published local" || p === "published remote")) {
    const ratio = median(path, gbits) / baseGbits;
    const overhead = median(path, (s) => s.connectP99) - base99;
    const met = ratio >= 0.9 && overhead < 1000;
    say(
      `goal, ${path} (≥ 90 % of direct iperf3 throughput, connect p99 overhead < 1 ms): ${met ? "met" : "not met"} ` +
        `(${fmt(ratio * 100)} %, ${fmt(overhead)} µs)`,
    );
  }
}
