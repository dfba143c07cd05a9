// How an API server connects to a node endpoint: over TLS, accepting only the certificate the node registered
// in the store (pinned by its SHA-256), whatever name or address the URL has. The pinned certificate is the
// one trust anchor OpenSSL is given, and checkServerIdentity, which Node calls only after the chain verified,
// compares the exact fingerprint instead of the host name. Nothing is sent before both checks pass, so the API
// server's bearer credential never reaches another machine, and there is no plain-HTTP fallback. The API
// server presents its own client certificate in the same handshake (endpoint-credentials.ts).
import type { PeerCertificate } from "node:tls";
import { Agent } from "undici";
import { certificateSha256, derSha256 } from "./endpoint-certificate.js";

/** What a node registered: its endpoint's URL and certificate. */
export interface PinnedEndpoint {
  /** The node's name, for errors. */
  node: string;
  /** `https://ADDRESS:PORT`. */
  url: string;
  /** PEM. */
  certificate: string;
}

/** A client's certificate and key (PEM). */
export interface ClientIdentity {
  cert: string;
  key: string;
}

/** The code of checkServerIdentity's refusal. */
export const CERT_MISMATCH = "ERR_ORCHESTRA_CERT_MISMATCH";

/** Node's TLS client options that accept `certificate` and nothing else, presenting `client` when given. */
export function pinnedTlsOptions(
  certificate: string,
  client?: ClientIdentity,
): {
  ca: string;
  cert?: string;
  key?: string;
  checkServerIdentity: (host: string, peer: PeerCertificate) => Error | undefined;
} {
  const pinned = certificateSha256(certificate);
  return {
    ...(client ? { cert: client.cert, key: client.key } : {}),
    ca: certificate,
    checkServerIdentity: (_host, peer) => {
      const presented = peer.raw ? derSha256(peer.raw) : "";
      if (presented === pinned) return undefined;
      const error = new Error(
        `the certificate presented (sha256 ${presented.slice(0, 16)}...) is not the one registered (sha256 ${pinned.slice(0, 16)}...)`,
      ) as Error & { code: string };
      error.code = CERT_MISMATCH;
      return error;
    },
  };
}

/** One connection pool per pinned certificate: a node that comes back with a new one gets a new pool. */
export class PinnedAgents {
  private readonly agents = new Map<string, Agent>();

  constructor(
    private readonly connectTimeoutMs: number,
    private readonly client?: ClientIdentity,
  ) {}

  for(endpoint: PinnedEndpoint): Agent {
    const key = `${endpoint.url} ${endpoint.certificate}`;
    let agent = this.agents.get(key);
    if (!agent) {
      // A node's earlier pools (an older certificate, or a restart on another port) are let go.
      for (const [known, old] of this.agents) {
        if (known.startsWith(`${endpoint.url} `)) {
          this.agents.delete(known);
          void old.close();
        }
      }
      agent = new Agent({
        connect: { ...pinnedTlsOptions(endpoint.certificate, this.client), timeout: this.connectTimeoutMs },
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((agent) => agent.destroy()));
  }
}
