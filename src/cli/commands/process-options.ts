// Option parsing shared by the commands that start processes (`up`, `run ...`).
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { ValidationError } from "../../core/errors.js";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_DEPLOYMENTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from "../../core/limits.js";
import { chooseLogFormat, LOG_FORMATS, type LogFormat, setLogFormat } from "../../core/logger.js";
import { DEFAULT_METRICS_HOST } from "../../metrics/metrics-server.js";

/** The API server's guards against web pages (src/api/request-guards.ts), as flags of `up` and `run api`. */
export interface RequestGuardFlags {
  allowedHost?: string[];
  allowedOrigin?: string[];
}

export function requestGuardOptions(command: Command): Command {
  const collect = (text: string, previous: string[] = []) => [...previous, text];
  return command
    .option(
      "--allowed-host <name>",
      "without a token, also serve requests for this Host name besides loopback ones (repeatable)",
      collect,
    )
    .option(
      "--allowed-origin <origin>",
      "serve browser requests from this Origin, e.g. https://dash.example (repeatable; default none)",
      collect,
    );
}

/** The API server's bounds on connections and objects, as flags of `up` and `run api` (src/core/limits.ts). */
export interface ApiLimitFlags {
  requestTimeout: string;
  idleTimeout: string;
  maxConnections: string;
  maxDeployments: string;
}

export interface ApiLimits {
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  maxDeployments: number;
}

export function apiLimitOptions(command: Command): Command {
  return command
    .option(
      "--request-timeout <ms>",
      "time to receive a whole request, headers and body; the connection is closed after it",
      String(DEFAULT_REQUEST_TIMEOUT_MS),
    )
    .option(
      "--idle-timeout <ms>",
      "a connection on which nothing moves either way is closed after this",
      String(DEFAULT_IDLE_TIMEOUT_MS),
    )
    .option(
      "--max-connections <n>",
      "open connections to the API; more are closed as they arrive",
      String(DEFAULT_MAX_CONNECTIONS),
    )
    .option(
      "--max-deployments <n>",
      "deployments the cluster may hold; creating one more is refused (403)",
      String(DEFAULT_MAX_DEPLOYMENTS),
    );
}

export function apiLimitsFrom(flags: ApiLimitFlags): ApiLimits {
  return {
    requestTimeoutMs: parsePositiveInt(flags.requestTimeout, "request-timeout"),
    idleTimeoutMs: parsePositiveInt(flags.idleTimeout, "idle-timeout"),
    maxConnections: parsePositiveInt(flags.maxConnections, "max-connections"),
    maxDeployments: parsePositiveInt(flags.maxDeployments, "max-deployments"),
  };
}

export function parsePort(text: string, field: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 0 || port > 65535) {
    throw new ValidationError(field, `must be a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

export function parsePositiveInt(text: string, field: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value <= 0)
    throw new ValidationError(field, `must be a positive integer, got "${text}"`);
  return value;
}

export function parseSeconds(text: string, field: string): number {
  return parseWhole(text, field, "seconds");
}

export function parseMilliseconds(text: string, field: string): number {
  return parseWhole(text, field, "milliseconds");
}

function parseWhole(text: string, field: string, unit: string): number {
  if (!/^\d+$/.test(text))
    throw new ValidationError(field, `must be a whole number of ${unit}, got "${text}"`);
  return Number(text);
}

/** A share from 0 to 1, e.g. `0.55`. */
export function parseFraction(text: string, field: string): number {
  const value = Number(text);
  if (!/^(0|1|0?\.\d+|1\.0*)$/.test(text) || value < 0 || value > 1)
    throw new ValidationError(field, `must be a number from 0 to 1, got "${text}"`);
  return value;
}

/** Collects repeated `--label k=v` flags into a map. */
export function collectLabel(pair: string, labels: Record<string, string> = {}): Record<string, string> {
  const eq = pair.indexOf("=");
  if (eq <= 0) throw new ValidationError("label", `expected key=value, got "${pair}"`);
  return { ...labels, [pair.slice(0, eq)]: pair.slice(eq + 1) };
}

/** `--allow-host-path DIR` (repeatable), as `up` and `run worker` take it. */
export function allowHostPathOption(command: Command): Command {
  return command.option(
    "--allow-host-path <dir>",
    "pods may mount host paths under this directory (repeatable; default: none)",
    collectDir,
  );
}

/** Collects repeated `--allow-host-path DIR` flags: each an existing directory, made absolute. */
export function collectDir(dir: string, dirs: string[] = []): string[] {
  const path = resolve(dir);
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // not there: refused below
  }
  if (!isDirectory) throw new ValidationError("allow-host-path", `${path} is not a directory`);
  return [...dirs, path];
}

/** `--log-format json|pretty`, as `up` and `run ...` take it. */
export function logFormatOption(command: Command): Command {
  return command.addOption(
    new Option(
      "--log-format <format>",
      "log lines on stderr: json, or pretty (readable); default pretty on a terminal, else json",
    ).choices(LOG_FORMATS),
  );
}

/** Sets the process's log format from `--log-format`, or from whether stderr is a terminal. */
export function applyLogFormat(asked: LogFormat | undefined): void {
  const terminal = process.stderr.isTTY === true;
  setLogFormat(chooseLogFormat(asked, terminal), terminal);
}

/** `--metrics-host` and `--metrics-port`: where a component without an API serves GET /metrics. */
export interface MetricsFlags {
  metricsHost: string;
  metricsPort: string;
}

export function metricsOptions(command: Command, defaultPort: number): Command {
  return command
    .option("--metrics-host <host>", "address GET /metrics is served on", DEFAULT_METRICS_HOST)
    .option(
      "--metrics-port <port>",
      "port GET /metrics is served on (0 picks a free one)",
      String(defaultPort),
    );
}

/** `--tls`, `--no-tls`, `--tls-cert`, `--tls-key`, `--tls-san`: the API server's TLS, as `up` and `run api` take it. */
export function apiTlsOptions(command: Command): Command {
  const collect = (text: string, previous: string[] = []) => [...previous, text];
  return command
    .option("--tls", "serve HTTPS on a loopback address too (off loopback it is the default)")
    .option("--no-tls", "serve plain HTTP: on a loopback address only, refused elsewhere")
    .option("--tls-cert <file>", "the server's certificate (PEM, with its chain) instead of a generated one")
    .option("--tls-key <file>", "the key of --tls-cert (PEM, mode 0600)")
    .option(
      "--tls-san <name|ip>",
      "also put this name or address in the generated certificate (repeatable)",
      collect,
    );
}
