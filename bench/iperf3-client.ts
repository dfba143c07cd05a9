// One iperf3 TCP run from the root namespace (the host's iperf3, `apt-get install iperf3`), as a child process:
// the client sends for `seconds` to an `iperf3 -s` and reports, in JSON, what the server received.
import { type ChildProcess, execFile } from "node:child_process";

export interface Iperf3Result {
  /** What the server received, Gbit/s. */
  gbits: number;
  /** TCP retransmissions on the sender's side. */
  retransmits: number;
  /** CPU use of the client and of the server over the run, in % of one core, as iperf3 reports them. */
  clientCpu: number;
  serverCpu: number;
}

interface Iperf3Report {
  error?: string;
  end?: {
    sum_received: { bits_per_second: number };
    sum_sent: { retransmits?: number };
    cpu_utilization_percent: { host_total: number; remote_total: number };
  };
}

const running = new Set<ChildProcess>();

/** Stops iperf3 runs still going (on Ctrl-C). */
export function stopIperf3(): void {
  for (const child of running) child.kill("SIGKILL");
}

export function runIperf3(host: string, port: number, seconds: number): Promise<Iperf3Result> {
  const args = ["-c", host, "-p", String(port), "-t", String(seconds), "-J", "--connect-timeout", "3000"];
  return new Promise((resolve, reject) => {
    const child = execFile("iperf3", args, { timeout: (seconds + 30) * 1000 }, (err, stdout) => {
      running.delete(child);
      let report: Iperf3Report | undefined;
      try {
        report = JSON.parse(stdout) as Iperf3Report;
      } catch {
        // No JSON: the error below says why.
      }
      const end = report?.end;
      if (!end || report?.error) {
        reject(new Error(`iperf3 ${host}:${port}: ${report?.error ?? err?.message ?? "no report"}`));
        return;
      }
      resolve({
        gbits: end.sum_received.bits_per_second / 1e9,
        retransmits: end.sum_sent.retransmits ?? 0,
        clientCpu: end.cpu_utilization_percent.host_total,
        serverCpu: end.cpu_utilization_percent.remote_total,
      });
    });
    running.add(child);
  });
}
