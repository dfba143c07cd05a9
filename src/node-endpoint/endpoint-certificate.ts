// A worker's node endpoint certificate: a key pair and a self-signed certificate, made by the worker itself.
// API servers trust it only by its fingerprint, which the worker publishes in its node registration: the store
// (locked with --zk-auth-file) is the trust root, as the cluster is for the kubelet's serving certificate. With a
// data folder (`up`) the pair is kept in `<dir>/tls/node-endpoint.{pem,key}` and reused; without one (`run
// worker`) each start makes a new pair, which the new registration carries.
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { issueSelfSignedCertificate } from "../tls/certificate-issuer.js";
import { RENEW_BEFORE_MS, readPrivateKey, tlsFolder, writePair } from "../tls/cluster-certificates.js";

export interface EndpointCertificate {
  /** PEM. */
  cert: string;
  /** PKCS#8 PEM. */
  key: string;
  /** Where it is kept, when it is. */
  certFile?: string;
  /** True when this start made it. */
  made: boolean;
}

/** SHA-256 of the certificate's DER, lower-case hex: what API servers pin. */
export function certificateSha256(pem: string): string {
  return derSha256(new X509Certificate(pem).raw);
}

/** The same from the DER bytes, as a TLS peer's certificate gives them. */
export function derSha256(der: Buffer): string {
  return createHash("sha256").update(der).digest("hex");
}

/** The endpoint's pair for `node` at `address`: kept in `dataDir` when there is one and still good, else new. */
export async function ensureEndpointCertificate(request: {
  node: string;
  address: string;
  dataDir?: string;
  nowMs: number;
}): Promise<EndpointCertificate> {
  const names = { dns: [], ip: [request.address] };
  const issue = () => issueSelfSignedCertificate(`orchestra-node-${request.node}`, names, request.nowMs);
  if (request.dataDir === undefined) return { ...(await issue()), made: true };
  const dir = tlsFolder(request.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, "node-endpoint.pem");
  const keyFile = join(dir, "node-endpoint.key");
  if (existsSync(certFile) && existsSync(keyFile)) {
    const kept = { cert: readFileSync(certFile, "utf8"), key: readPrivateKey(keyFile), certFile };
    if (stillGood(kept.cert, request.address, request.nowMs)) return { ...kept, made: false };
  }
  const pair = await issue();
  writePair(certFile, keyFile, pair);
  return { ...pair, certFile, made: true };
}

/** Readable, not near its end, and made for this address (a node that moved gets a new one, for curl's sake). */
function stillGood(pem: string, address: string, nowMs: number): boolean {
  try {
    const cert = new X509Certificate(pem);
    return Date.parse(cert.validTo) - nowMs >= RENEW_BEFORE_MS && cert.checkIP(address) !== undefined;
  } catch {
    return false;
  }
}
