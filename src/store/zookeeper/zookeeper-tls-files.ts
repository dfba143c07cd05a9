// TLS to ZooKeeper from PEM files (`--zk-tls-ca`, `--zk-tls-cert`, `--zk-tls-key`) or PEM text (a worker's join):
// read and checked before any connection, so that a wrong file is one clear error rather than a store that
// never answers.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { ValidationError } from "../../core/errors.js";

/** PEM text, each part from wherever it came: a file or a join answer. */
export interface ZooKeeperTlsPem {
  ca?: string;
  cert?: string;
  key?: string;
}

/** TLS options in PEM text: a ZooKeeperTlsOptions that can also be handed on (in a join answer). */
export interface ZooKeeperPemTls {
  ca: string;
  cert?: string;
  key?: string;
}

/** Where a part came from, for error messages: the field to blame, what gives it (a flag), and its file. */
export interface PemSource {
  field: string;
  name: string;
  file?: string;
}

const described = (source: PemSource) => source.file ?? source.name;

/**
 * Reads a PEM file; an unreadable one is a ValidationError naming `field`. A private key (`secret`) is refused
 * when others than its owner may read it, as for the API's --tls-key.
 */
export function readPemFile(file: string, field: string, secret = false): string {
  try {
    if (secret && (statSync(file).mode & 0o077) !== 0) {
      throw new ValidationError(field, `${file} may be read by others than its owner: chmod 600 it`);
    }
    return readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(
      field,
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
}

/**
 * The TLS options of a connection from PEM parts, or undefined when none is given. A CA is required (the
 * servers' certificates must chain to it); a client certificate and its key go together and must match.
 */
export function zooKeeperTlsOptions(
  pem: ZooKeeperTlsPem,
  sources: { ca: PemSource; cert: PemSource; key: PemSource },
): ZooKeeperPemTls | undefined {
  const { ca, cert, key } = pem;
  if (ca === undefined && cert === undefined && key === undefined) return undefined;
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? sources.cert : sources.key;
    const given = cert === undefined ? sources.key : sources.cert;
    throw new ValidationError(
      missing.field,
      `required with ${given.name}: a client certificate and its key go together`,
    );
  }
  if (ca === undefined) {
    throw new ValidationError(
      sources.ca.field,
      `required with ${sources.cert.name}: the CA the ZooKeeper servers' certificates chain to`,
    );
  }
  certificateOf(ca, sources.ca);
  if (cert === undefined || key === undefined) return { ca };
  const certificate = certificateOf(cert, sources.cert);
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ValidationError(sources.key.field, `${described(sources.key)} holds no PEM private key`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ValidationError(
      sources.key.field,
      `${described(sources.key)} is not the key of the certificate in ${described(sources.cert)}`,
    );
  }
  return { ca, cert, key };
}

function certificateOf(pem: string, source: PemSource): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new ValidationError(source.field, `${described(source)} holds no PEM certificate`);
  }
}
