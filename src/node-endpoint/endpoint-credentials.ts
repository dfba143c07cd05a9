// Who may use a node endpoint (a worker's logs, exec and usage), decided in this one file. Each API server makes
// a random token and a self-signed client certificate when it starts and registers only their SHA-256 hashes in
// the store, under /endpointclients/<id>: an ephemeral key that goes with the server's session. Workers list and
// watch that directory and accept a request that carries a registered bearer token over a TLS session whose
// client certificate is the one registered with that token (mutual TLS: a worker that saw the token cannot
// replay it without the API server's key). The store never holds a secret that could be presented, and no
// Docker socket leaves its machine: the endpoint is the only way in.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { UnauthorizedError } from "../api/errors.js";
import { type Clock, systemClock } from "../core/clock.js";
import { ConflictError, NotFoundError } from "../core/errors.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { Informer } from "../machinery/informer.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { type IssuedPair, issueSelfSignedCertificate } from "../tls/certificate-issuer.js";
import { certificateSha256 } from "./endpoint-certificate.js";

/** What an API server registers: the hashes of its token and client certificate, and who it is (for logs). */
export interface EndpointClient {
  sha256: string;
  /** SHA-256 of the client certificate's DER, hex. */
  certSha256: string;
  description: string;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * An API server's credential towards node endpoints: its token and client certificate, registered (hashed)
 * while the server runs.
 */
export class EndpointClientCredential {
  readonly id = randomBytes(8).toString("hex");
  private readonly token = randomBytes(32).toString("base64url");
  private made?: Promise<IssuedPair>;
  private stopListening?: () => void;
  private expired = false;

  constructor(
    private readonly store: Store,
    private readonly description: string,
    private readonly log: Logger = makeLogger("endpoint-credential"),
  ) {}

  /** The header value to present. */
  get authorization(): string {
    return `Bearer ${this.token}`;
  }

  /** The client certificate and key to present (PEM), made once. */
  clientCertificate(): Promise<IssuedPair> {
    this.made ??= issueSelfSignedCertificate(
      `orchestra-api-${this.id}`,
      { dns: [], ip: [] },
      systemClock.now(),
      "client",
    );
    return this.made;
  }

  /** Registers the hash; again after a session expiry took the ephemeral key away. */
  async register(): Promise<void> {
    this.stopListening = this.store.onSession((state) => {
      if (state === "expired") this.expired = true;
      if (state === "connected" && this.expired) {
        this.expired = false;
        this.write().catch((err) => this.log.error({ err }, "re-registering the endpoint credential failed"));
      }
    });
    await this.write();
  }

  /** Removes the registration (it would also go with the session). */
  async unregister(): Promise<void> {
    this.stopListening?.();
    if (this.store.sessionState !== "connected") return;
    await this.store.delete(keys.endpointClient(this.id)).catch((err) => {
      if (!(err instanceof NotFoundError)) this.log.warn({ err }, "could not remove the endpoint credential");
    });
  }

  private async write(): Promise<void> {
    const client: EndpointClient = {
      sha256: sha256(this.token).toString("hex"),
      certSha256: certificateSha256((await this.clientCertificate()).cert),
      description: this.description,
    };
    try {
      await this.store.create(keys.endpointClient(this.id), client, { ephemeral: true });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
}

export interface EndpointAuthenticatorOptions {
  clock?: Clock;
  logger?: Logger;
  /** A token not among the known hashes makes the authenticator list the store again at most this often. Default 1 s. */
  relistMs?: number;
}

/** A worker's check of the credentials node endpoint requests carry. */
export class EndpointAuthenticator {
  private readonly clients: Informer<EndpointClient>;
  private readonly clock: Clock;
  private readonly relistMs: number;
  private lastRelist = 0;

  constructor(
    private readonly store: Store,
    options: EndpointAuthenticatorOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.relistMs = options.relistMs ?? 1000;
    this.clients = new Informer<EndpointClient>(store, keys.endpointClients, {
      clock: this.clock,
      logger: options.logger ?? makeLogger("endpoint-auth"),
    });
  }

  start(): Promise<void> {
    return this.clients.start();
  }

  stop(): void {
    this.clients.stop();
  }

  /**
   * Resolves when `authorization` (the request's header) carries the token of a registered API server and
   * `clientCertSha256` (the TLS client certificate's hash) is the one registered with it; else rejects with
   * UnauthorizedError (401). A token not known yet (an API server that registered a moment ago) gets one fresh
   * look at the store, at most once per `relistMs`.
   */
  async check(authorization: string | undefined, clientCertSha256: string | undefined): Promise<void> {
    if (authorization === undefined) throw new UnauthorizedError("authorization: a bearer token is required");
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match?.[1]) throw new UnauthorizedError("authorization: expected a bearer token");
    const presented = sha256(match[1]);
    let client = this.clients.list().find((known) => same(known, presented));
    const now = this.clock.now();
    if (!client && now - this.lastRelist >= this.relistMs) {
      this.lastRelist = now;
      const listed = await this.store.list<EndpointClient>(keys.endpointClients);
      client = listed.find((entry) => same(entry.value, presented))?.value;
    }
    if (!client) throw new UnauthorizedError("authorization: the bearer token is not valid");
    if (clientCertSha256 === undefined) {
      throw new UnauthorizedError("authorization: the API server's client certificate is required");
    }
    if (client.certSha256 !== clientCertSha256) {
      throw new UnauthorizedError(
        "authorization: the client certificate is not the one registered with the bearer token",
      );
    }
  }
}

function same(client: EndpointClient, presented: Buffer): boolean {
  const known = Buffer.from(client.sha256, "hex");
  return known.length === presented.length && timingSafeEqual(known, presented);
}
