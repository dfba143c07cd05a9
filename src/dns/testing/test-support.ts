// Test helpers for DNS: a tiny client (UDP and TCP) and an upstream resolver that tests run themselves.
// Used by the unit tests beside the code and by test/dns.test.ts; not used by Orchestra itself.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import dnsPacket, { type Answer, type DecodedPacket, type RecordType } from "dns-packet";
import type { Pod } from "../../core/types.js";
import { frame, LengthPrefixedReader } from "../tcp-framing.js";

/** A query message (EDNS with a 1232-byte payload unless `edns: false`). */
export function queryMessage(
  name: string,
  type: RecordType = "A",
  options: { id?: number; edns?: boolean; rd?: boolean } = {},
): Buffer {
  return dnsPacket.encode({
    type: "query",
    id: options.id ?? Math.floor(Math.random() * 65536),
    flags: options.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: "IN" }],
    additionals:
      options.edns === false
        ? []
        : [
            {
              name: ".",
              type: "OPT",
              udpPayloadSize: 1232,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ],
  });
}

/** Sends one UDP message and resolves with the first reply, or undefined after `timeoutMs`. */
export function udpExchange(
  port: number,
  message: Buffer,
  timeoutMs = 3000,
  host = "127.0.0.1",
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    socket.on("error", () => done(undefined));
    socket.on("message", (reply) => done(reply));
    socket.send(message, port, host);
  });
}

/** Sends framed messages on one TCP connection; resolves with the replies received within `timeoutMs`. */
export function tcpExchange(
  port: number,
  messages: Buffer[],
  options: { timeoutMs?: number; expect?: number; host?: string } = {},
): Promise<Buffer[]> {
  const expect = options.expect ?? messages.length;
  return new Promise((resolve) => {
    const replies: Buffer[] = [];
    const reader = new LengthPrefixedReader();
    const socket = connect({ port, host: options.host ?? "127.0.0.1" });
    const timer = setTimeout(() => done(), options.timeoutMs ?? 3000);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(replies);
    };
    socket.on("connect", () => socket.write(Buffer.concat(messages.map(frame))));
    socket.on("data", (chunk) => {
      replies.push(...reader.push(chunk));
      if (replies.length >= expect) done();
    });
    socket.on("error", done);
    socket.on("close", done);
  });
}

/** Decodes a reply; throws if it is missing. */
export function decodeReply(reply: Buffer | undefined): DecodedPacket & { rcode: string } {
  if (!reply) throw new Error("no reply");
  return dnsPacket.decode(reply) as DecodedPacket & { rcode: string };
}

export interface TestUpstream {
  port: number;
  /** Queries received, as decoded, over UDP and TCP. */
  readonly queries: { transport: "udp" | "tcp"; name: string; type: string }[];
  close(): Promise<void>;
}

/**
 * A resolver on 127.0.0.1 (UDP and TCP, same port) answering from `records` (`name type` → answers);
 * unknown names get NXDOMAIN. `udpTruncates`: UDP answers carry TC and no records. `silent`: never answers.
 */
export async function startTestUpstream(
  records: Record<string, Answer[]>,
  options: { udpTruncates?: boolean; silent?: boolean; rcode?: number } = {},
): Promise<TestUpstream> {
  const queries: TestUpstream["queries"] = [];
  const answer = (message: Buffer, transport: "udp" | "tcp"): Buffer | undefined => {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (!question) return undefined;
    queries.push({ transport, name: question.name, type: question.type });
    if (options.silent) return undefined;
    const answers = records[`${question.name.toLowerCase()} ${question.type}`];
    const truncated = transport === "udp" && options.udpTruncates === true;
    const rcode = options.rcode ?? (answers ? 0 : 3);
    return dnsPacket.encode({
      type: "response",
      id: query.id,
      flags: dnsPacket.RECURSION_AVAILABLE | (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) | rcode,
      questions: [question],
      answers: truncated ? [] : (answers ?? []),
    });
  };
  const udp: UdpSocket = createSocket("udp4");
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  const port = udp.address().port;
  udp.on("message", (message, peer) => {
    const reply = answer(message, "udp");
    if (reply) udp.send(reply, peer.port, peer.address);
  });
  const connections = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    socket.on("error", () => undefined);
    const reader = new LengthPrefixedReader();
    socket.on("data", (chunk) => {
      for (const message of reader.push(chunk)) {
        const reply = answer(message, "tcp");
        if (reply) socket.write(frame(reply));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port: (tcp.address() as AddressInfo).port,
    queries,
    async close() {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

/** A loopback UDP port with nothing listening (bound, read, released), for "dead upstream" tests. */
export async function deadPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** A pod as the worker reports it once running (phase Running with `ip`), with a named port `http`. */
export function runningPod(
  id: string,
  name: string,
  deployment: string,
  ip: string | undefined,
  overrides: Partial<Pod> = {},
): Pod {
  return {
    id,
    name,
    deployment,
    hash: "h1",
    template: { image: "orchestra/hello", ports: [{ name: "http", containerPort: 8080, protocol: "tcp" }] },
    status: { phase: "Running", ready: ip !== undefined, ip, restarts: 0 },
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}
