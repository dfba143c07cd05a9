// The API's certificates in the data folder (`<dir>/tls/`): a cluster CA and a server certificate it signed,
// made on first start and reused after. The server certificate is made anew when it is missing, was not
// signed by this CA, nears its end, or no longer covers every name the server answers to; the CA only when
// its own files are missing. Keys are written mode 0600 and refused when others may read them.
import { X509Certificate } from "node:crypto";
import {
  closeSync,
  existsSync,
  fchmodSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { ValidationError } from "../core/errors.js";
import { type IssuedPair, issueClusterCa, issueServerCertificate } from "./certificate-issuer.js";
import type { SubjectNames } from "./host-names.js";

/** A server certificate this close to its end is made anew at start. */
export const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

export interface ClusterCertificates {
  /** PEM texts. */
  ca: string;
  cert: string;
  key: string;
  /** The files, for the operator and the client config. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** What happened at this start, one line each, e.g. "made a new server certificate: it did not cover 10.0.0.7". */
  notes: string[];
}

export function tlsFolder(dataDir: string): string {
  return join(dataDir, "tls");
}

export async function ensureClusterCertificates(
  dataDir: string,
  names: SubjectNames,
  nowMs: number,
): Promise<ClusterCertificates> {
  const dir = tlsFolder(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, "ca.pem");
  const caKeyFile = join(dir, "ca.key");
  const certFile = join(dir, "server.pem");
  const keyFile = join(dir, "server.key");
  const notes: string[] = [];

  let ca: IssuedPair;
  if (existsSync(caFile) && existsSync(caKeyFile)) {
    ca = { cert: readFileSync(caFile, "utf8"), key: readPrivateKey(caKeyFile) };
  } else {
    ca = await issueClusterCa(nowMs);
    writePair(caFile, caKeyFile, ca);
    notes.push(`made a new cluster CA in ${caFile}`);
  }

  let server: IssuedPair | undefined;
  if (existsSync(certFile) && existsSync(keyFile)) {
    const existing = { cert: readFileSync(certFile, "utf8"), key: readPrivateKey(keyFile) };
    const reason = renewalReason(existing.cert, ca.cert, names, nowMs);
    if (reason === undefined) server = existing;
    else notes.push(`made a new server certificate: the old one ${reason}`);
  } else {
    notes.push("made a new server certificate");
  }
  if (server === undefined) {
    server = await issueServerCertificate(ca, names, nowMs);
    writePair(certFile, keyFile, server);
  }
  return { ca: ca.cert, cert: server.cert, key: server.key, caFile, certFile, keyFile, notes };
}

/** Why `certPem` cannot serve `names` any more, or undefined when it still can. */
export function renewalReason(
  certPem: string,
  caPem: string,
  names: SubjectNames,
  nowMs: number,
): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return "could not be read";
  }
  if (!cert.checkIssued(new X509Certificate(caPem)) || !cert.verify(new X509Certificate(caPem).publicKey)) {
    return "was not signed by the cluster CA";
  }
  const end = Date.parse(cert.validTo);
  if (end - nowMs < RENEW_BEFORE_MS) return `expires on ${new Date(end).toISOString()}`;
  const missing = [
    ...names.ip.filter((ip) => cert.checkIP(ip) === undefined),
    ...names.dns.filter((dns) => cert.checkHost(dns, { wildcards: false }) === undefined),
  ];
  if (missing.length > 0) return `did not cover ${missing.join(", ")}`;
  return undefined;
}

/** A key file, refused when others than its owner may read it (as ssh does). */
export function readPrivateKey(path: string): string {
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new ValidationError("tls-key", `${path} may be read by others than its owner: chmod 600 it`);
  }
  return readFileSync(path, "utf8");
}

/** Writes the key (0600) and the certificate through temporary files, so a crash leaves no half pair. */
export function writePair(certFile: string, keyFile: string, pair: IssuedPair): void {
  writeNew(`${keyFile}.tmp`, pair.key, 0o600);
  writeNew(`${certFile}.tmp`, pair.cert, 0o644);
  renameSync(`${keyFile}.tmp`, keyFile);
  renameSync(`${certFile}.tmp`, certFile);
}

function writeNew(path: string, text: string, mode: number): void {
  const fd = openSync(path, "w", mode);
  try {
    // A leftover from a crash keeps its old mode otherwise.
    fchmodSync(fd, mode);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
