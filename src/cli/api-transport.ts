// How the CLI talks HTTP(S) to the API server: one JSON request at a time, the server verified against a CA
// when one is given, and every failure turned into a CliError fit for the one-line `error: ...`.

import { Agent, type Dispatcher, fetch, type Response } from "undici";
import { CONTINUE_HEADER } from "../core/schemas/list-page.js";
import { UNTRUSTED_CERTIFICATE } from "../tls/untrusted-certificate.js";
import { ApiError, CliError } from "./cli-error.js";

export interface TransportOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  server: string;
  token?: string;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  /** PEM: an https server must present a certificate this CA signed (instead of one the system trusts). */
  ca?: string;
  /** Where the CA came from, for error messages, e.g. `the CA of context "home"`. */
  caSource?: string;
}

export interface Answer {
  status: number;
  body: unknown;
  /** A list's token of its next page (the x-continue header), when more follow. */
  next?: string;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed",
};

/** Checks and normalises a server URL: http(s) only, no trailing slash. */
export function normaliseServerUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError(`--server: "${server}" is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`--server: "${server}" must start with http:// or https://`);
  }
  return url.href.replace(/\/+$/, "");
}

export class ApiTransport {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly caSource: string;
  /** PEM of the CA the server is verified against, when one is given. */
  readonly ca: string | undefined;

  constructor(options: TransportOptions) {
    this.server = normaliseServerUrl(options.server);
    this.token = options.token === "" ? undefined : options.token;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.caSource = options.caSource ?? (options.ca === undefined ? "the system's CAs" : "the given CA");
    this.ca = options.ca;
    this.dispatcher = options.ca === undefined ? undefined : new Agent({ connect: { ca: options.ca } });
  }

  /** The `Authorization` header, for connections made elsewhere (exec's WebSocket). */
  get authorization(): string | undefined {
    return this.token === undefined ? undefined : `Bearer ${this.token}`;
  }

  async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    // Every write says JSON, with a body or without: the server refuses a POST that does not (a browser's
    // cross-site "simple" request could not say it).
    if (options.body !== undefined || method !== "GET") headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${this.server}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
        dispatcher: this.dispatcher,
      });
    } catch (error) {
      throw new CliError(`cannot reach the API server at ${this.server} (${this.networkReason(error)})`);
    }
    const text = await this.readBody(response);
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok) {
      if (body === undefined && text !== "") {
        throw new CliError(
          `the API server at ${this.server} answered ${method} ${path} with something that is not JSON`,
        );
      }
      const next = response.headers.get(CONTINUE_HEADER) ?? undefined;
      return { status: response.status, body, ...(next ? { next } : {}) };
    }
    throw this.errorFor(response, body);
  }

  /**
   * A GET whose body is read as it comes (logs, followed for as long as the caller likes): the time limit
   * holds until the answer begins. Errors as every other request's.
   */
  async stream(path: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const headers: Record<string, string> = this.authorization ? { authorization: this.authorization } : {};
    const started = AbortSignal.timeout(this.timeoutMs);
    const beginning = new AbortController();
    const stop = () => beginning.abort(started.aborted ? started.reason : signal.reason);
    started.addEventListener("abort", stop);
    signal.addEventListener("abort", stop);
    let response: Response;
    try {
      response = await fetch(`${this.server}${path}`, {
        headers,
        signal: beginning.signal,
        dispatcher: this.dispatcher,
      });
    } catch (error) {
      throw new CliError(`cannot reach the API server at ${this.server} (${this.networkReason(error)})`);
    } finally {
      started.removeEventListener("abort", stop);
    }
    if (!response.ok || !response.body) {
      const text = await this.readBody(response);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      throw this.errorFor(response, body);
    }
    return response.body as ReadableStream<Uint8Array>;
  }

  private async readBody(response: Response): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw new CliError(
        `lost the connection to the API server at ${this.server} (${this.networkReason(error)})`,
      );
    }
  }

  private errorFor(response: Response, body: unknown): ApiError {
    return this.errorOf(response.status, body, response.statusText);
  }

  /** The error for an answer with `status` and (parsed) `body`: also for answers taken elsewhere (exec's upgrade). */
  errorOf(status: number, body: unknown, statusText = ""): ApiError {
    const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    const code = typeof fields.error === "string" ? fields.error : undefined;
    const serverMessage = typeof fields.message === "string" ? fields.message : code;
    if (status === 401) {
      const hint =
        this.token === undefined
          ? "the API server requires a token (use --token, ORCHESTRA_TOKEN or a config file)"
          : `the API server rejected the token${serverMessage ? ` (${serverMessage})` : ""}`;
      return new ApiError(401, code, `unauthorized: ${hint}`);
    }
    const message = serverMessage ?? `the API server answered ${status}${statusText ? ` ${statusText}` : ""}`;
    return new ApiError(status, code, message);
  }

  private networkReason(error: unknown): string {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      return `no answer within ${this.timeoutMs / 1000}s`;
    }
    const cause = error instanceof Error ? (error.cause as unknown) : undefined;
    const code = errorCode(cause) ?? errorCode(error);
    if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code)) {
      return `its certificate is not signed by ${this.caSource}: ${code}`;
    }
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
      return `its certificate does not name ${new URL(this.server).hostname}; give the server a name it covers`;
    }
    if (code === "CERT_HAS_EXPIRED") return "its certificate has expired";
    if (code !== undefined) return NETWORK_REASONS[code] ?? code;
    // fetch refuses the ports browsers block (1, 7, 25, 6000, ...) before connecting at all.
    if (cause instanceof Error && cause.message === "bad port")
      return "fetch refuses to connect to this port";
    if (cause instanceof Error && cause.message) return cause.message;
    return error instanceof Error ? error.message : String(error);
  }
}

/** The errno-style code of a connection error; an AggregateError (several addresses tried) gives its first. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === "string") return code;
  if (Array.isArray(errors)) return errorCode(errors[0]);
  return undefined;
}
