// Convergence on real Docker, side by side on one engine and one image (orchestra/hello): N containers running
// from N `docker run -d` in parallel (raw), from one deploy of N replicas to a running `orchestra up`, and from
// `docker service create --replicas N` in Docker Swarm mode; optionally the Engine API called directly (api).
// Rounds alternate the order of the contenders, and ratios are taken within a round, because the machine is
// shared and noisy. Flags: --n 20,50,100  --rounds 2  --modes raw,orchestra,swarm[,api]  --stages
// --before DIST (also runs the build in DIST, e.g. of an earlier commit, as contender "before": A/B in one run)
// --cpu-prof DIR (Orchestra runs under node --cpu-prof; see bench/profile-top.ts) --swarm-image tag|id (how Swarm is given the image: by tag as typed, the default, or by ID, which skips the
// registry pull Swarm's agent tries before every task)
import Docker from "dockerode";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages } from "../test/support/images.js";
import {
  engineApi,
  inSwarm,
  leaveEngineAsFound,
  rawDockerRun,
  swarmService,
  type Timing,
} from "./docker-contenders.js";
import { EngineWatch } from "./engine-watch.js";
import { type OrchestraTiming, OrchestraUnderTest } from "./orchestra-contender.js";
import { flag, fmt, numberFlag, percentile, printTable, say } from "./stats.js";

const SIZES = (flag("n") ?? "20,50,100").split(",").map(Number);
const ROUNDS = numberFlag("rounds", 2);
const MODES = (flag("modes") ?? "raw,orchestra,swarm").split(",") as Mode[];
const SHOW_STAGES = flag("stages") !== undefined;
const BEFORE_DIST = flag("before");
const SWARM_BY_ID = flag("swarm-image") === "id";
const SETTLE_MS = 1000;

type Mode = "raw" | "orchestra" | "swarm" | "api" | "before";
const docker = new Docker();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RoundResult {
  round: number;
  n: number;
  times: Partial<Record<Mode, Timing>>;
  orchestra?: OrchestraTiming;
}

/** The user-defined bridge of raw and api runs (Orchestra has its own; Swarm's is made in swarm mode). */
const BENCH_NETWORK = `bench-${process.pid}`;

async function measure(
  mode: Mode,
  n: number,
  round: number,
  watch: EngineWatch,
  orchestra: OrchestraUnderTest,
  before: OrchestraUnderTest | undefined,
): Promise<Timing> {
  const tag = `bench-${process.pid}-${n}-${round}`;
  const spec = { docker, watch, image: DEMO_IMAGE, n, tag, network: BENCH_NETWORK };
  switch (mode) {
    case "raw":
      return rawDockerRun(spec);
    case "api":
      return engineApi({ ...spec, tag: `${tag}-api` });
    case "swarm":
      return inSwarm(docker, `${BENCH_NETWORK}-swarm`, (network) =>
        swarmService({ ...spec, network }, SWARM_BY_ID),
      );
    case "orchestra":
      return orchestra.deploy(watch, DEMO_IMAGE, DEMO_PORT, n, `bench-${n}-${round}`);
    case "before":
      if (!before) throw new Error("--before DIST is needed for the before contender");
      return before.deploy(watch, DEMO_IMAGE, DEMO_PORT, n, `before-${n}-${round}`);
  }
}

/** The contenders in a different order each time (rotated), so that none always runs first or last. */
function rotated(modes: Mode[], by: number): Mode[] {
  const shift = by % modes.length;
  return [...modes.slice(shift), ...modes.slice(0, shift)];
}

const ratio = (a: Timing | undefined, b: Timing | undefined) => (a && b ? fmt(a.seconds / b.seconds) : "-");
const secs = (t: Timing | undefined) => (t ? fmt(t.seconds) : "-");

async function main(): Promise<void> {
  await ensureTestImages();
  const watch = new EngineWatch(docker);
  await watch.start();
  const orchestra = new OrchestraUnderTest(docker, "orchestra", undefined, flag("cpu-prof"));
  const before = BEFORE_DIST ? new OrchestraUnderTest(docker, "before", BEFORE_DIST) : undefined;
  const modes: Mode[] = before && !MODES.includes("before") ? [...MODES, "before"] : MODES;
  const results: RoundResult[] = [];
  const network = await docker.createNetwork({ Name: BENCH_NETWORK, Driver: "bridge" });
  // Interrupted (Ctrl-C, a timeout's SIGTERM): the engine is left as found, not in swarm mode with N containers.
  const interrupted = async (signal: string) => {
    stopping = true;
    say(`${signal}: removing this run's containers, services, swarm mode and Orchestra`);
    watch.stop();
    await leaveEngineAsFound(docker, `bench-${process.pid}-`);
    await orchestra.stop().catch(() => undefined);
    await before?.stop().catch(() => undefined);
    await network.remove().catch(() => undefined);
    process.exit(130);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void interrupted(signal));
  // The same signal reaches the docker commands of the group, whose failure must not end the process first.
  try {
    await orchestra.start();
    await before?.start();
    say(
      `orchestra up on ${orchestra.server} (pid ${orchestra.pid}); Docker ${(await docker.version()).Version}`,
    );
    let turn = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const n of SIZES) {
        const result: RoundResult = { round, n, times: {} };
        for (const mode of rotated(modes, turn++)) {
          const timing = await measure(mode, n, round, watch, orchestra, before);
          result.times[mode] = timing;
          if (mode === "orchestra") result.orchestra = timing as OrchestraTiming;
          say(`round ${round}, N = ${n}, ${mode}: ${fmt(timing.seconds)} s`);
          await sleep(SETTLE_MS);
        }
        results.push(result);
      }
    }
  } finally {
    watch.stop();
    await orchestra.stop();
    await before?.stop();
    await network.remove().catch((err: Error) => say(`warning: network ${BENCH_NETWORK}: ${err.message}`));
  }
  report(results);
}

function report(results: RoundResult[]): void {
  const withBefore = results.some((r) => r.times.before);
  const pods = (t: OrchestraTiming | undefined, q: number) =>
    t ? fmt(percentile(t.startup, q) / 1000) : "-";
  say("");
  printTable(
    [
      "round",
      "N",
      "raw s",
      "orchestra s",
      "swarm s",
      "api s",
      ...(withBefore ? ["before s", "orchestra/before"] : []),
      "orchestra/raw",
      "swarm/orchestra",
      "orchestra HTTP s",
      "orchestra CPU s",
      "pod start-up p50 s",
      "p99 s",
    ],
    results.map(({ round, n, times, orchestra }) => [
      String(round),
      String(n),
      secs(times.raw),
      secs(times.orchestra),
      secs(times.swarm),
      secs(times.api),
      ...(withBefore ? [secs(times.before), ratio(times.orchestra, times.before)] : []),
      ratio(times.orchestra, times.raw),
      ratio(times.swarm, times.orchestra),
      orchestra ? fmt(orchestra.httpSeconds) : "-",
      orchestra ? fmt(orchestra.cpuSeconds) : "-",
      pods(orchestra, 0.5),
      pods(orchestra, 0.99),
    ]),
  );
  say("");
  say("per N over the rounds (ratios taken within each round):");
  const span = (values: number[]) =>
    values.length === 0 ? "-" : `${fmt(Math.min(...values))} to ${fmt(Math.max(...values))}`;
  printTable(
    ["N", "orchestra/raw", "swarm/orchestra", "orchestra/api", "orchestra/before"],
    SIZES.map((n) => {
      const rows = results.filter((r) => r.n === n);
      const ratios = (a: Mode, b: Mode) =>
        rows.flatMap(({ times }) => {
          const x = times[a];
          const y = times[b];
          return x && y ? [x.seconds / y.seconds] : [];
        });
      return [
        String(n),
        span(ratios("orchestra", "raw")),
        span(ratios("swarm", "orchestra")),
        span(ratios("orchestra", "api")),
        span(ratios("orchestra", "before")),
      ];
    }),
  );
  say("goals: orchestra/raw 1.05 or less, swarm/orchestra 1.5 or more, at every N");
  if (!SHOW_STAGES) return;
  for (const { round, n, orchestra } of results) {
    if (!orchestra) continue;
    say("");
    say(`stages, round ${round}, N = ${n} (ms after the PUT: first, median, last pod)`);
    printTable(
      ["stage", "first", "median", "last"],
      Object.entries(orchestra.stages).map(([stage, [first, median, last]]) => [
        stage,
        fmt(first),
        fmt(median),
        fmt(last),
      ]),
    );
  }
}

/** Set once a signal arrived: the clean-up it started calls exit itself. */
let stopping = false;

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (stopping) return;
    process.stderr.write(`bench:docker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
