// `orchestra up`: the all-in-one on this machine, until SIGINT/SIGTERM.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { adminTokenFile, ensureAdminToken } from "../../cmd/admin-token.js";
import { DEFAULT_API_HOST, DEFAULT_API_PORT, isLoopback } from "../../cmd/api.js";
import { type ApiTlsFlags, resolveApiTls } from "../../cmd/api-tls.js";
import { runUntilSignal } from "../../cmd/lifecycle.js";
import { readToken } from "../../cmd/token.js";
import { up } from "../../cmd/up.js";
import { type LogFormat, logger } from "../../core/logger.js";
import { parseUpstream, type Upstream } from "../../dns/upstreams.js";
import { DEFAULT_POD_CIDR, parsePodCidr } from "../../network/pod-cidr.js";
import type { CliIo } from "../cli-io.js";
import { adminConfigText, writePrivate } from "../client-config-file.js";
import {
  type ApiLimitFlags,
  allowHostPathOption,
  apiLimitOptions,
  apiLimitsFrom,
  apiTlsOptions,
  applyLogFormat,
  logFormatOption,
  parsePort,
  parseSeconds,
  type RequestGuardFlags,
  requestGuardOptions,
} from "./process-options.js";

interface UpFlags extends RequestGuardFlags, ApiLimitFlags, ApiTlsFlags {
  dataDir: string;
  apiHost: string;
  apiPort: string;
  tokenFile?: string;
  dockerHost?: string;
  name?: string;
  network?: string;
  podCidr?: string;
  stopGrace: string;
  dns: boolean;
  domain?: string;
  upstream?: Upstream[];
  zoneFile?: string;
  allowHostPath?: string[];
  secretsKeyFile?: string;
  logFormat?: LogFormat;
}

export function registerUp(program: Command, io: CliIo): void {
  logFormatOption(
    apiTlsOptions(apiLimitOptions(requestGuardOptions(allowHostPathOption(program.command("up"))))),
  )
    .description(
      "run everything on this machine: API server, controller, scheduler, a worker (embedded store)",
    )
    .option("--data-dir <dir>", "where the embedded store keeps its data", ".orchestra")
    .option("--api-host <host>", "address the API server binds", DEFAULT_API_HOST)
    .option("--api-port <port>", "port of the API server", String(DEFAULT_API_PORT))
    .option("--token-file <file>", "require this bearer token on the API (or env ORCHESTRA_TOKEN)")
    .option("--docker-host <url>", "Docker engine (default DOCKER_HOST or the local socket)")
    .option("--name <node>", "name of this machine's node (default: host name)")
    .option("--network <name>", "bridge network for pods (default orchestra)")
    .option(
      "--pod-cidr <cidr>",
      `the cluster's pod addresses; the node takes a /24 of it (default ${DEFAULT_POD_CIDR})`,
    )
    .option("--stop-grace <seconds>", "seconds between SIGTERM and SIGKILL when stopping a pod", "10")
    .option("--domain <name>", "cluster DNS domain (default cluster.local)")
    .option(
      "--upstream <ip[:port]>",
      "resolver for names outside the cluster (repeatable; default: the nameservers of /etc/resolv.conf)",
      (text: string, previous: Upstream[] = []) => [...previous, parseUpstream(text)],
    )
    .option("--zone-file <path>", "also keep an RFC 1035 zone file of the cluster's records here")
    .option("--no-dns", "do not serve cluster DNS on the pod network's gateway")
    .option(
      "--secrets-key-file <file>",
      "key(s) secrets are encrypted with (default: <data-dir>/secrets.key, made when missing)",
    )
    .action(async (flags: UpFlags) => {
      applyLogFormat(flags.logFormat);
      const dataDir = resolve(flags.dataDir);
      const apiPort = parsePort(flags.apiPort, "api-port");
      mkdirSync(dataDir, { recursive: true });
      const tls = await resolveApiTls(flags.apiHost, dataDir, flags);
      let token = readToken(flags.tokenFile, io.env);
      const notes = tls?.notes ?? [];
      // Off loopback the API needs a token: without one given, the data folder keeps one (the admin's).
      if (token === undefined && !isLoopback(flags.apiHost)) {
        token = ensureAdminToken(dataDir);
        notes.push(`admin token in ${adminTokenFile(dataDir)}`);
      }
      const cluster = await up({
        dataDir,
        apiHost: flags.apiHost,
        apiPort,
        token,
        tls: tls && { cert: tls.cert, key: tls.key },
        allowedHosts: flags.allowedHost,
        allowedOrigins: flags.allowedOrigin,
        apiLimits: apiLimitsFrom(flags),
        dockerHost: flags.dockerHost,
        nodeName: flags.name,
        network: flags.network,
        podCidr: flags.podCidr === undefined ? undefined : parsePodCidr(flags.podCidr),
        stopGraceSeconds: parseSeconds(flags.stopGrace, "stop-grace"),
        dns: flags.dns,
        domain: flags.domain,
        upstreams: flags.upstream,
        zoneFile: flags.zoneFile,
        allowHostPaths: flags.allowHostPath,
        secretsKeyFile: flags.secretsKeyFile,
      });
      const configFile = join(dataDir, "config.yaml");
      writePrivate(
        configFile,
        adminConfigText({ name: "orchestra", server: clientUrl(cluster.apiUrl), ca: tls?.ca, token }),
      );
      io.out(
        [
          `Orchestra is up: API at ${cluster.apiUrl}, node "${cluster.nodeName}", data in ${flags.dataDir}`,
          ...notes.map((note) => `TLS and access:    ${note}`),
          `Client config:     ${configFile} (export ORCHESTRA_CONFIG=${configFile}, or copy it to ~/.orchestra/config)`,
          ...(cluster.dns
            ? [`Cluster DNS:       ${cluster.dns.address}:${cluster.dns.port} for *.${cluster.dns.domain}`]
            : []),
          `Deploy something:  orchestra deploy web --image orchestra/hello --replicas 3`,
          `Then:              orchestra get pods -o wide`,
          `Metrics:           ${cluster.apiUrl}/metrics (Prometheus text format)`,
          "Stop with Ctrl-C (containers keep running and are adopted on the next start; `orchestra down` removes them).",
          "",
        ].join("\n"),
      );
      await runUntilSignal(cluster.components, logger("up"));
    });
}

/** The URL a client on this machine uses: a wildcard address is reached on loopback, which the certificate covers. */
export function clientUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  if (url.hostname === "[::]") url.hostname = "[::1]";
  return url.href.replace(/\/+$/, "");
}
