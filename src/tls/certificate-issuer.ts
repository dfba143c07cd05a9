// Makes the cluster's certificates with @peculiar/x509 on Node's WebCrypto: a CA that signs only certificates,
// and server certificates it signs for a set of names. ECDSA P-256 keys, PEM out (keys as PKCS#8).
// The library needs a Reflect metadata polyfill loaded before it (its README says so).
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { SubjectNames } from "./host-names.js";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The CA outlives many server certificates: they are re-issued from it as names change or they near expiry. */
export const CA_VALIDITY_DAYS = 3650;
export const SERVER_VALIDITY_DAYS = 365;

export interface IssuedPair {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PKCS#8 PEM. */
  key: string;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

/** A positive serial of 16 random bytes (RFC 5280 asks for at most 20 octets, unique per CA). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}

/** A certificate's validity starts a little in the past: clocks of other machines may lag. */
function validity(nowMs: number, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(nowMs - 60 * 60 * 1000), notAfter: new Date(nowMs + days * DAY_MS) };
}

/** A new self-signed cluster CA, named after the cluster and the time it was made. */
export async function issueClusterCa(nowMs: number): Promise<IssuedPair> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=orchestra-ca@${Math.floor(nowMs / 1000)}`,
    ...validity(nowMs, CA_VALIDITY_DAYS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}

/** A server certificate for `names`, signed by `ca`. */
export async function issueServerCertificate(
  ca: IssuedPair,
  names: SubjectNames,
  nowMs: number,
): Promise<IssuedPair> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey("pkcs8", pemBody(ca.key), ALGORITHM, false, ["sign"]);
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${names.dns[0] ?? names.ip[0] ?? "orchestra-api"}`,
    issuer: caCert.subject,
    ...validity(nowMs, SERVER_VALIDITY_DAYS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: "dns" as const, value })),
        ...names.ip.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}

/**
 * A self-signed certificate trusted by pinning it (not through a CA): a worker's node endpoint (`server`, for
 * `names`) or an API server towards node endpoints (`client`). It may sign only itself (keyCertSign, which
 * OpenSSL asks of a self-signed trust anchor), not others.
 */
export async function issueSelfSignedCertificate(
  commonName: string,
  names: SubjectNames,
  nowMs: number,
  usage: "server" | "client" = "server",
): Promise<IssuedPair> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    ...validity(nowMs, SERVER_VALIDITY_DAYS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([
        usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ]),
      // RFC 5280: no empty SubjectAltName; a client's certificate names nothing.
      ...(names.dns.length + names.ip.length === 0
        ? []
        : [
            new x509.SubjectAlternativeNameExtension([
              ...names.dns.map((value) => ({ type: "dns" as const, value })),
              ...names.ip.map((value) => ({ type: "ip" as const, value })),
            ]),
          ]),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
}
