// TCP connect time, one connection after the other: from connect() to the handshake's answer. The SYN and its
// SYN-ACK are where a published port's NAT does its work (the rule lookup, the conntrack entry, the address
// rewrite), and the pod's kernel answers them without waiting for the server process, so the figure shows
// the path's cost in µs without the server's own time (bench:ports). Paced: the server (busybox httpd) still
// accepts and forks for each connection, and connections faster than it accepts fill its listen queue, whose
// dropped SYNs come back after the 1 s retransmission timeout (seen as a p99 of 1 s on every path).
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { percentile } from "./stats.js";

export interface ConnectTimes {
  /** µs */
  p50: number;
  p99: number;
  failed: number;
}

function once(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = connect({ host, port });
    socket.setTimeout(3000, () => socket.destroy(new Error(`connect to ${host}:${port} timed out`)));
    socket.once("connect", () => {
      const micros = Number(process.hrtime.bigint() - started) / 1000;
      socket.destroy();
      resolve(micros);
    });
    socket.once("error", reject);
  });
}

/** `count` connects to host:port, `pauseMs` apart. */
export async function connectTimes(
  host: string,
  port: number,
  count: number,
  pauseMs: number,
): Promise<ConnectTimes> {
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(pauseMs);
    try {
      times.push(await once(host, port));
    } catch {
      failed++;
    }
  }
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), failed };
}
