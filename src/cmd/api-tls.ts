// Whether the API serves TLS, and with which certificate: the operator's (`--tls-cert/--tls-key`), else one
// the cluster CA in the data folder signs. On by default off loopback, where plain HTTP is refused.
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { ValidationError } from "../core/errors.js";
import { isLoopback } from "../core/loopback.js";
import { ensureClusterCertificates, readPrivateKey } from "../tls/cluster-certificates.js";
import { subjectNames } from "../tls/host-names.js";

export interface ApiTlsFlags {
  /** `--tls` (true), `--no-tls` (false), or neither: TLS exactly when the address is not loopback. */
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsSan?: string[];
}

export interface ApiTls {
  cert: string;
  key: string;
  /** The cluster CA (PEM) and its file, when Orchestra made the certificate. */
  ca?: string;
  caFile?: string;
  /** What was made at this start, for the operator. */
  notes: string[];
}

/** Undefined for plain HTTP (loopback only). `dataDir` keeps the generated files under `tls/`. */
export async function resolveApiTls(
  host: string,
  dataDir: string,
  flags: ApiTlsFlags,
  nowMs: number = Date.now(),
): Promise<ApiTls | undefined> {
  const own = flags.tlsCert !== undefined || flags.tlsKey !== undefined;
  if (flags.tls === false) {
    if (own || (flags.tlsSan ?? []).length > 0) {
      throw new ValidationError("no-tls", "cannot be given with --tls-cert, --tls-key or --tls-san");
    }
    if (!isLoopback(host)) {
      throw new ValidationError(
        "no-tls",
        `plain HTTP is refused on ${host}, which is not a loopback address; drop --no-tls or bind 127.0.0.1`,
      );
    }
    return undefined;
  }
  if (own) return readOwnCertificate(flags.tlsCert, flags.tlsKey);
  const wanted = flags.tls === true || (flags.tlsSan ?? []).length > 0 || !isLoopback(host);
  if (!wanted) return undefined;
  const made = await ensureClusterCertificates(dataDir, subjectNames(host, flags.tlsSan ?? []), nowMs);
  return { cert: made.cert, key: made.key, ca: made.ca, caFile: made.caFile, notes: made.notes };
}

function readOwnCertificate(certFile: string | undefined, keyFile: string | undefined): ApiTls {
  if (certFile === undefined || keyFile === undefined) {
    throw new ValidationError(
      certFile === undefined ? "tls-cert" : "tls-key",
      "give --tls-cert and --tls-key together",
    );
  }
  let cert: string;
  let key: string;
  try {
    cert = readFileSync(certFile, "utf8");
  } catch (err) {
    throw new ValidationError(
      "tls-cert",
      `cannot read ${certFile}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  try {
    key = readPrivateKey(keyFile);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(
      "tls-key",
      `cannot read ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  try {
    // Node checks here that both are PEM and that the key is the certificate's.
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ValidationError(
      "tls-key",
      `${keyFile} and ${certFile} are not a key and its certificate (${(err as Error).message})`,
    );
  }
  return { cert, key, notes: [] };
}
