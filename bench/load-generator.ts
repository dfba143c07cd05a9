// Fixed-rate (open-loop) HTTP load generator, run as a child process by bench/api.ts so that the load does not
// share the server's event loop. Prints one JSON LoadResult on stdout.
import { Agent, request } from "node:http";
import { percentile } from "./stats.js";

export interface LoadSpec {
  url: string;
  /** Instead of `url` alone: request i goes to urls[i % urls.length] (e.g. every page of a list in turn). */
  urls?: string[];
  method: "GET" | "PUT";
  ratePerSecond: number;
  durationSeconds: number;
  /** For PUT: a JSON body template; `{{i}}` is replaced by the request's sequence number. */
  body?: string;
}

export interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  /** The errors by status code ("socket" for a request that got no answer). */
  errorKinds: Record<string, number>;
  /** Completed requests per second over the run. */
  throughput: number;
  /** From the request's send to its last byte, ms. */
  p50: number;
  p99: number;
  max: number;
  /** From when the request was due (fixed schedule) to its last byte: includes queueing when the server lags. */
  scheduledP99: number;
}

function run(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const targets = (spec.urls ?? [spec.url]).map((url) => new URL(url));
  const total = Math.round(spec.ratePerSecond * spec.durationSeconds);
  const latencies: number[] = [];
  const scheduled: number[] = [];
  let sent = 0;
  let finished = 0;
  let ok = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  const failed = (kind: string) => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  const t0 = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      const seconds = (performance.now() - t0) / 1000;
      agent.destroy();
      resolve({
        sent,
        ok,
        errors,
        errorKinds,
        throughput: ok / seconds,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        max: Math.max(...latencies),
        scheduledP99: percentile(scheduled, 0.99),
      });
    };
    const fire = (i: number, due: number) => {
      const body = spec.body?.replaceAll("{{i}}", String(i));
      const target = targets[i % targets.length] as URL;
      const start = performance.now();
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: spec.method,
          agent,
          headers: body === undefined ? {} : { "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            const end = performance.now();
            latencies.push(end - start);
            scheduled.push(end - due);
            if ((res.statusCode ?? 0) < 300) ok++;
            else failed(String(res.statusCode));
            if (++finished === total) finish();
          });
        },
      );
      req.on("error", () => {
        failed("socket");
        if (++finished === total) finish();
      });
      req.end(body);
    };
    // A 1 ms tick sends every request that is due: the schedule, not the responses, sets the pace.
    const tick = setInterval(() => {
      const now = performance.now();
      while (sent < total) {
        const due = t0 + (sent * 1000) / spec.ratePerSecond;
        if (due > now) break;
        fire(sent, due);
        sent++;
      }
      if (sent >= total) clearInterval(tick);
    }, 1);
  });
}

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
run(spec).then((result) => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
});
