// The wire side of a query: reads a message defensively (what to answer, FORMERR, or drop) and encodes
// responses that fit the client's transport, truncating (TC) when they do not. Built on dns-packet.
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer } from "dns-packet";

/** Bigger than any sensible query (a question plus an OPT record); larger ones get FORMERR. */
export const MAX_QUERY_BYTES = 4096;
/** What a UDP answer may take without EDNS (RFC 1035). */
export const CLASSIC_UDP_PAYLOAD = 512;
/** The EDNS payload size we offer and honour at most: the 2020 DNS flag day's, to avoid fragmentation. */
export const EDNS_UDP_PAYLOAD = 1232;
/** A TCP message's length prefix is 16 bits. */
export const TCP_MESSAGE_LIMIT = 65535;

const QR = 0x8000;
const TC = dnsPacket.TRUNCATED_RESPONSE;
const RD = dnsPacket.RECURSION_DESIRED;
const CD = dnsPacket.CHECKING_DISABLED;
const OPCODE_MASK = 0x7800;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (EDNS): 16, i.e. 1 in the OPT record's upper bits and 0 in the header. */
  BADVERS: 16,
} as const;
export type Rcode = keyof typeof RCODE;

export interface DnsQuery {
  id: number;
  recursionDesired: boolean;
  checkingDisabled: boolean;
  /** As asked, case preserved; `.` for the root. */
  question: { name: string; type: string; class: string };
  /** Present when the query carried an OPT record. */
  edns?: { udpPayloadSize: number; dnssecOk: boolean };
  /** The message as received. */
  raw: Buffer;
  /** Byte length of the header plus question section in `raw`. */
  questionEnd: number;
}

export type ParsedMessage =
  | { kind: "query"; query: DnsQuery }
  /** Answer with `response` (FORMERR, NOTIMP, BADVERS) without looking further. */
  | { kind: "reject"; response: Buffer; reason: string }
  /** No header to answer to, or not a query at all (answering responses could loop between servers). */
  | { kind: "drop"; reason: string };

/**
 * Reads a query. Exactly one question is accepted (QDCOUNT 1, as BIND requires): several questions get
 * FORMERR. Question names must be plain: labels of printable ASCII without '.', no compression.
 */
export function parseQuery(message: Buffer): ParsedMessage {
  if (message.length < 12) return { kind: "drop", reason: "shorter than a header" };
  const flags = message.readUInt16BE(2);
  if (flags & QR) return { kind: "drop", reason: "a response, not a query" };
  const reject = (rcode: number, reason: string): ParsedMessage => ({
    kind: "reject",
    response: headerOnlyResponse(message, rcode),
    reason,
  });
  if (message.length > MAX_QUERY_BYTES) return reject(RCODE.FORMERR, "oversized");
  if ((flags & OPCODE_MASK) !== 0) return reject(RCODE.NOTIMP, "opcode other than QUERY");
  if (message.readUInt16BE(4) !== 1) return reject(RCODE.FORMERR, "not exactly one question");
  const name = readPlainName(message, 12);
  if (name === undefined || name.end + 4 > message.length) return reject(RCODE.FORMERR, "bad question name");

  let decoded: DecodedPacket;
  try {
    decoded = dnsPacket.decode(message);
  } catch {
    return reject(RCODE.FORMERR, "undecodable");
  }
  if (dnsPacket.decode.bytes !== message.length) return reject(RCODE.FORMERR, "trailing bytes");
  const question = decoded.questions?.[0];
  if (!question) return reject(RCODE.FORMERR, "no question");

  const opts = (decoded.additionals ?? []).filter((record): record is OptAnswer => record.type === "OPT");
  if (opts.length > 1) return reject(RCODE.FORMERR, "several OPT records");
  const opt = opts[0];
  if (opt && opt.name !== ".") return reject(RCODE.FORMERR, "OPT record not at the root");
  const query: DnsQuery = {
    id: message.readUInt16BE(0),
    recursionDesired: (flags & RD) !== 0,
    checkingDisabled: (flags & CD) !== 0,
    question: { name: name.text, type: question.type, class: question.class ?? "IN" },
    edns: opt
      ? { udpPayloadSize: opt.udpPayloadSize, dnssecOk: (opt.flags & dnsPacket.DNSSEC_OK) !== 0 }
      : undefined,
    raw: message,
    questionEnd: name.end + 4,
  };
  if (opt && opt.ednsVersion > 0) {
    return { kind: "reject", response: encodeResponse(query, { rcode: "BADVERS" }), reason: "EDNS version" };
  }
  return { kind: "query", query };
}

/** The largest answer the client can take over `protocol`. */
export function responseLimit(query: DnsQuery, protocol: "udp" | "tcp"): number {
  if (protocol === "tcp") return TCP_MESSAGE_LIMIT;
  if (!query.edns) return CLASSIC_UDP_PAYLOAD;
  return Math.min(Math.max(query.edns.udpPayloadSize, CLASSIC_UDP_PAYLOAD), EDNS_UDP_PAYLOAD);
}

export interface Reply {
  rcode: Rcode;
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
  authoritative?: boolean;
  recursionAvailable?: boolean;
}

/**
 * Encodes the response to `query`. Larger than `limit`: the additional and authority sections go, then
 * answers from the end, and TC is set so that the client may ask again over TCP.
 */
export function encodeResponse(query: DnsQuery, reply: Reply, limit = TCP_MESSAGE_LIMIT): Buffer {
  const code = RCODE[reply.rcode];
  let flags = code & 0xf;
  if (reply.authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  if (reply.recursionAvailable) flags |= dnsPacket.RECURSION_AVAILABLE;
  if (query.recursionDesired) flags |= RD;
  if (query.checkingDisabled) flags |= CD;
  const opt: Answer[] = query.edns ? [optRecord(query, code >> 4)] : [];
  const packet = (answers: Answer[], authorities: Answer[], additionals: Answer[], truncated: boolean) => ({
    type: "response" as const,
    id: query.id,
    flags: truncated ? flags | TC : flags,
    answers,
    authorities,
    additionals: [...additionals, ...opt],
  });
  const room = limit - (query.questionEnd - 12);
  const answers = reply.answers ?? [];
  const whole = packet(answers, reply.authorities ?? [], reply.additionals ?? [], false);
  if (dnsPacket.encodingLength(whole) <= room) return withQuestion(query, dnsPacket.encode(whole));
  // Keep the most answers that fit (binary search: each length costs a pass over the records).
  let low = 0;
  let high = answers.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (dnsPacket.encodingLength(packet(answers.slice(0, middle), [], [], true)) <= room) low = middle;
    else high = middle - 1;
  }
  return withQuestion(query, dnsPacket.encode(packet(answers.slice(0, low), [], [], true)));
}

/**
 * Puts the query's question section, byte for byte, into a response encoded without one: re-encoding it
 * could change it (unknown classes, case), and clients match responses to queries by it.
 */
function withQuestion(query: DnsQuery, encoded: Buffer): Buffer {
  const response = Buffer.concat([
    encoded.subarray(0, 12),
    query.raw.subarray(12, query.questionEnd),
    encoded.subarray(12),
  ]);
  response.writeUInt16BE(1, 4);
  return response;
}

/**
 * An upstream's response relayed to the client: the client's id, and when too large for the client's
 * transport, only the header and question with TC set.
 */
export function relayResponse(query: DnsQuery, upstream: Buffer, limit: number): Buffer {
  if (upstream.length <= limit) {
    const copy = Buffer.from(upstream);
    copy.writeUInt16BE(query.id, 0);
    return copy;
  }
  const flags = upstream.readUInt16BE(2) & 0x7fff;
  const encoded = dnsPacket.encode({
    type: "response",
    id: query.id,
    flags: flags | TC,
    additionals: query.edns ? [optRecord(query, 0)] : [],
  });
  return withQuestion(query, encoded);
}

function optRecord(query: DnsQuery, extendedRcode: number): OptAnswer {
  return {
    name: ".",
    type: "OPT",
    udpPayloadSize: EDNS_UDP_PAYLOAD,
    extendedRcode,
    ednsVersion: 0,
    flags: query.edns?.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
    flag_do: query.edns?.dnssecOk ?? false,
    options: [],
  };
}

/** A response of just a header: the query's id, opcode and RD, with `rcode`. For queries we cannot parse. */
function headerOnlyResponse(message: Buffer, rcode: number): Buffer {
  const response = Buffer.alloc(12);
  message.copy(response, 0, 0, 2);
  const flags = message.readUInt16BE(2);
  response.writeUInt16BE(QR | (flags & (OPCODE_MASK | RD)) | (rcode & 0xf), 2);
  return response;
}

/** A name without compression whose every label is printable ASCII other than '.'; undefined if not. */
function readPlainName(message: Buffer, offset: number): { text: string; end: number } | undefined {
  const labels: string[] = [];
  let at = offset;
  let length = 1;
  for (;;) {
    if (at >= message.length) return undefined;
    const size = message[at] as number;
    at++;
    if (size === 0) break;
    // 0xc0 is a compression pointer, 0x40 and 0x80 are reserved: none belongs in a question's name.
    if (size > 63) return undefined;
    length += size + 1;
    if (length > 255 || at + size > message.length) return undefined;
    for (let i = at; i < at + size; i++) {
      const byte = message[i] as number;
      if (byte < 0x21 || byte > 0x7e || byte === 0x2e) return undefined;
    }
    labels.push(message.toString("latin1", at, at + size));
    at += size;
  }
  return { text: labels.length === 0 ? "." : labels.join("."), end: at };
}
