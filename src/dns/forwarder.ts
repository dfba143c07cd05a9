// Forwards queries for names outside the cluster zone to upstream resolvers: over UDP, again over TCP when
// the answer comes back truncated, all within a bounded time. Identical queries in flight share one
// exchange, which also breaks forwarding loops: a query that comes back to us joins itself and times out.
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect, isIPv6 } from "node:net";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { type DnsQuery, RCODE } from "./dns-message.js";
import { frame, LengthPrefixedReader } from "./tcp-framing.js";
import type { Upstream } from "./upstreams.js";

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Time for one query across every upstream and retry; then the caller answers SERVFAIL. Default 2 s. */
  timeoutMs?: number;
  /** How long one UDP attempt waits before the next upstream is tried. Default 800 ms. */
  attemptMs?: number;
  /** Distinct queries in flight at most; more fail at once, so that a flood cannot pile up sockets. */
  maxInFlight?: number;
  logger?: Logger;
}

type Outcome = { kind: "answer"; response: Buffer } | { kind: "timeout" } | { kind: "failed" };

const TC_BIT = 0x02; // in byte 2 of the header
const QR_BIT = 0x80; // in byte 2 of the header
/** Upstream answers that another upstream might better. */
const TRY_ELSEWHERE = new Set<number>([RCODE.SERVFAIL, RCODE.REFUSED, RCODE.NOTIMP]);

export class Forwarder {
  readonly upstreams: readonly Upstream[];
  private readonly timeoutMs: number;
  private readonly attemptMs: number;
  private readonly maxInFlight: number;
  private readonly log: Logger;
  private readonly inFlight = new Map<string, Promise<Buffer | undefined>>();
  /** Ends every open upstream socket: used by close(). */
  private readonly open = new Set<() => void>();
  private closed = false;

  constructor(options: ForwarderOptions) {
    this.upstreams = [...options.upstreams];
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.attemptMs = options.attemptMs ?? 800;
    this.maxInFlight = options.maxInFlight ?? 1024;
    this.log = options.logger ?? makeLogger("dns.forwarder");
  }

  /** The upstream's response (any id), or undefined when none answered in time. Never rejects. */
  forward(query: DnsQuery): Promise<Buffer | undefined> {
    if (this.closed || this.upstreams.length === 0) return Promise.resolve(undefined);
    const key = exchangeKey(query);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    if (this.inFlight.size >= this.maxInFlight) return Promise.resolve(undefined);
    const exchange = this.exchange(query)
      .catch((err: unknown) => {
        this.log.warn({ err }, "forwarding failed");
        return undefined;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, exchange);
    return exchange;
  }

  /** Ends every exchange in flight (they resolve undefined); later forwards resolve undefined at once. */
  close(): void {
    this.closed = true;
    for (const end of [...this.open]) end();
  }

  private async exchange(query: DnsQuery): Promise<Buffer | undefined> {
    // Our own id: the client's could collide with another client's query to the same upstream.
    const request = Buffer.from(query.raw);
    request.writeUInt16BE(randomInt(65536), 0);
    const deadline = Date.now() + this.timeoutMs;
    const settled = new Set<Upstream>();
    let fallback: Buffer | undefined;
    // Two rounds: an upstream that timed out once gets a second chance while time remains.
    for (let round = 0; round < 2; round++) {
      for (const upstream of this.upstreams) {
        if (settled.has(upstream)) continue;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || this.closed) return fallback;
        const outcome = await this.udpAttempt(upstream, request, query, Math.min(this.attemptMs, remaining));
        if (outcome.kind === "timeout") continue;
        settled.add(upstream);
        if (outcome.kind === "failed") continue;
        let response = outcome.response;
        if (((response[2] as number) & TC_BIT) !== 0) {
          const overTcp = await this.tcpAttempt(upstream, request, query, Math.max(deadline - Date.now(), 1));
          if (overTcp.kind !== "answer") {
            // The truncated answer is still an answer: the client can ask us again over TCP.
            fallback = response;
            continue;
          }
          response = overTcp.response;
        }
        if (TRY_ELSEWHERE.has((response[3] as number) & 0xf)) {
          fallback = response;
          continue;
        }
        return response;
      }
    }
    return fallback;
  }

  private udpAttempt(upstream: Upstream, request: Buffer, query: DnsQuery, ms: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const socket = createSocket(isIPv6(upstream.host) ? "udp6" : "udp4");
      const finish = (outcome: Outcome) => {
        if (!this.open.delete(end)) return;
        clearTimeout(timer);
        try {
          socket.close();
        } catch {
          // Already closed.
        }
        resolve(outcome);
      };
      const end = () => finish({ kind: "timeout" });
      this.open.add(end);
      const timer = setTimeout(end, ms);
      // A connected socket hears ICMP "port unreachable" as ECONNREFUSED: that upstream is down, move on.
      socket.on("error", () => finish({ kind: "failed" }));
      socket.on("message", (message) => {
        if (answersRequest(message, request, query)) finish({ kind: "answer", response: message });
      });
      socket.connect(upstream.port, upstream.host, () => {
        socket.send(request, (err) => {
          if (err) finish({ kind: "failed" });
        });
      });
    });
  }

  private tcpAttempt(upstream: Upstream, request: Buffer, query: DnsQuery, ms: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const socket = connect({ host: upstream.host, port: upstream.port });
      const reader = new LengthPrefixedReader();
      const finish = (outcome: Outcome) => {
        if (!this.open.delete(end)) return;
        clearTimeout(timer);
        socket.destroy();
        resolve(outcome);
      };
      const end = () => finish({ kind: "timeout" });
      this.open.add(end);
      const timer = setTimeout(end, ms);
      socket.on("connect", () => socket.write(frame(request)));
      socket.on("data", (chunk) => {
        const message = reader.push(chunk)[0];
        if (message === undefined) return;
        finish(
          answersRequest(message, request, query)
            ? { kind: "answer", response: message }
            : { kind: "failed" },
        );
      });
      socket.on("error", () => finish({ kind: "failed" }));
      socket.on("close", () => finish({ kind: "failed" }));
    });
  }
}

/** Queries that can share one upstream exchange: same question (case included) and same flags. */
function exchangeKey(query: DnsQuery): string {
  const flags = `${+query.recursionDesired}${+query.checkingDisabled}${query.edns ? 1 + +query.edns.dnssecOk : 0}`;
  return flags + query.raw.toString("latin1", 12, query.questionEnd);
}

/** A response to `request`: same id, a response, one question equal to ours (case aside). */
function answersRequest(message: Buffer, request: Buffer, query: DnsQuery): boolean {
  if (message.length < query.questionEnd) return false;
  if (message.readUInt16BE(0) !== request.readUInt16BE(0)) return false;
  if (((message[2] as number) & QR_BIT) === 0 || message.readUInt16BE(4) !== 1) return false;
  const asked = request.toString("latin1", 12, query.questionEnd).toLowerCase();
  return message.toString("latin1", 12, query.questionEnd).toLowerCase() === asked;
}
