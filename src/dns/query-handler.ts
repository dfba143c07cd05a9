// Turns one DNS message into its response: in-zone names from the cluster authority, other names through
// the forwarder, malformed messages FORMERR or nothing. Transport-agnostic (UDP and TCP share it).
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { dnsQueries } from "../metrics/metrics.js";
import type { ClusterAuthority } from "./cluster-authority.js";
import { encodeResponse, parseQuery, relayResponse, responseLimit } from "./dns-message.js";
import type { Forwarder } from "./forwarder.js";

export type Transport = "udp" | "tcp";

export interface QueryHandlerOptions {
  authority: ClusterAuthority;
  /** Absent or without upstreams: names outside the zone are REFUSED. */
  forwarder?: Forwarder;
  logger?: Logger;
}

/** Zone transfers are not offered: the zone file is the way to feed other servers. */
const TRANSFERS = new Set(["AXFR", "IXFR"]);

export class QueryHandler {
  private readonly authority: ClusterAuthority;
  private readonly forwarder?: Forwarder;
  private readonly log: Logger;

  constructor(options: QueryHandlerOptions) {
    this.authority = options.authority;
    this.forwarder =
      options.forwarder && options.forwarder.upstreams.length > 0 ? options.forwarder : undefined;
    this.log = options.logger ?? makeLogger("dns");
  }

  /** The response to send, or undefined to send nothing. Never rejects. Counted by its answer code. */
  async handle(message: Buffer, transport: Transport): Promise<Buffer | undefined> {
    const response = await this.respond(message, transport);
    dnsQueries.inc({ transport, rcode: response ? responseCode(response) : "dropped" });
    return response;
  }

  private async respond(message: Buffer, transport: Transport): Promise<Buffer | undefined> {
    const parsed = parseQuery(message);
    if (parsed.kind === "drop") {
      this.log.debug({ transport, bytes: message.length, reason: parsed.reason }, "dropped a message");
      return undefined;
    }
    if (parsed.kind === "reject") {
      this.log.debug({ transport, bytes: message.length, reason: parsed.reason }, "rejected a message");
      return parsed.response;
    }
    const { query } = parsed;
    const limit = responseLimit(query, transport);
    const recursionAvailable = this.forwarder !== undefined;
    try {
      const { name, type } = query.question;
      if (this.authority.contains(name)) {
        const cls = query.question.class;
        if ((cls !== "IN" && cls !== "ANY") || TRANSFERS.has(type)) {
          return encodeResponse(query, { rcode: "REFUSED", recursionAvailable }, limit);
        }
        const answer = this.authority.answer(name, type);
        return encodeResponse(query, { ...answer, authoritative: true, recursionAvailable }, limit);
      }
      if (!this.forwarder) return encodeResponse(query, { rcode: "REFUSED" }, limit);
      const upstream = await this.forwarder.forward(query);
      if (!upstream) {
        this.log.debug({ name, type }, "no upstream answered");
        return encodeResponse(query, { rcode: "SERVFAIL", recursionAvailable }, limit);
      }
      return relayResponse(query, upstream, limit);
    } catch (err) {
      this.log.error({ err, question: query.question }, "answering failed");
      try {
        return encodeResponse(query, { rcode: "SERVFAIL", recursionAvailable }, limit);
      } catch {
        return undefined;
      }
    }
  }
}

/** RFC 1035's and RFC 2136's names of the header's RCODE (the low 4 bits of its fourth byte). */
const RCODE_NAMES = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
];

export function responseCode(response: Buffer): string {
  const code = (response[3] ?? 0) & 0x0f;
  return RCODE_NAMES[code] ?? `RCODE_${code}`;
}
