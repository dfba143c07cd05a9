// Certificates for TLS tests, made with openssl in a temporary folder: a CA, a server certificate it signs for
// 127.0.0.1 and localhost, a client certificate it signs, and a second CA that signs nothing (a CA the client
// must not trust). Keys are unencrypted PKCS#8, which ZooKeeper's PEM key store reads.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestCertificates {
  readonly folder: string;
  /** The CA's certificate (PEM text), and the file of it (a PEM trust store). */
  readonly ca: string;
  readonly caFile: string;
  /** The server's key and certificate in one PEM file (a PEM key store). */
  readonly serverKeyStoreFile: string;
  /** The client's certificate and key (PEM text), and their files. */
  readonly clientCert: string;
  readonly clientKey: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Another CA's certificate (PEM text) and its file: it signed neither certificate. */
  readonly strangerCa: string;
  readonly strangerCaFile: string;
  /** Removes the folder. */
  remove(): void;
}

export async function makeTestCertificates(): Promise<TestCertificates> {
  const folder = mkdtempSync(join(tmpdir(), "orchestra-certs-"));
  const file = (name: string) => join(folder, name);
  try {
    await selfSigned("Orchestra test CA", file("ca.key"), file("ca.pem"));
    await selfSigned("Orchestra stranger CA", file("stranger.key"), file("stranger.pem"));
    await signed("127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost", "server", folder);
    await signed("orchestra-test-client", "extendedKeyUsage=clientAuth", "client", folder);
    const serverKeyStoreFile = file("server-keystore.pem");
    writeFileSync(
      serverKeyStoreFile,
      readFileSync(file("server.key"), "utf8") + readFileSync(file("server.pem")),
    );
    return {
      folder,
      ca: readFileSync(file("ca.pem"), "utf8"),
      caFile: file("ca.pem"),
      serverKeyStoreFile,
      clientCert: readFileSync(file("client.pem"), "utf8"),
      clientKey: readFileSync(file("client.key"), "utf8"),
      clientCertFile: file("client.pem"),
      clientKeyFile: file("client.key"),
      strangerCa: readFileSync(file("stranger.pem"), "utf8"),
      strangerCaFile: file("stranger.pem"),
      remove: () => rmSync(folder, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`could not make test certificates with openssl: ${(error as Error).message}`);
  }
}

async function selfSigned(subject: string, keyFile: string, certFile: string): Promise<void> {
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${subject}`,
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
}

/** `<name>.key` and `<name>.pem`, signed by the CA in `folder`, with `extension` (an openssl extension line). */
async function signed(subject: string, extension: string, name: string, folder: string): Promise<void> {
  const file = (suffix: string) => join(folder, `${name}${suffix}`);
  await run("openssl", [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${subject}`,
    "-keyout",
    file(".key"),
    "-out",
    file(".csr"),
  ]);
  writeFileSync(file(".ext"), `${extension}\n`);
  await run("openssl", [
    "x509",
    "-req",
    "-days",
    "2",
    "-in",
    file(".csr"),
    "-CA",
    join(folder, "ca.pem"),
    "-CAkey",
    join(folder, "ca.key"),
    "-CAcreateserial",
    "-extfile",
    file(".ext"),
    "-out",
    file(".pem"),
  ]);
}
