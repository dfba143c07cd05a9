// `orchestra up`: the all-in-one on this machine, until SIGINT/SIGTERM.
import type { Command } from "commander";
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from "../../cmd/api.js";
import { runUntilSignal } from "../../cmd/lifecycle.js";
import { readToken } from "../../cmd/token.js";
import { up } from "../../cmd/up.js";
import { logger } from "../../core/logger.js";
import { parseUpstream, type Upstream } from "../../dns/upstreams.js";
import { DEFAULT_POD_CIDR, parsePodCidr } from "../../network/pod-cidr.js";
import type { CliIo } from "../cli-io.js";
import {
  allowHostPathOption,
  parsePort,
  parseSeconds,
  type RequestGuardFlags,
  requestGuardOptions,
} from "./process-options.js";

interface UpFlags extends RequestGuardFlags {
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
}

export function registerUp(program: Command, io: CliIo): void {
  requestGuardOptions(allowHostPathOption(program.command("up")))
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
      const cluster = await up({
        dataDir: flags.dataDir,
        apiHost: flags.apiHost,
        apiPort: parsePort(flags.apiPort, "api-port"),
        token: readToken(flags.tokenFile, io.env),
        allowedHosts: flags.allowedHost,
        allowedOrigins: flags.allowedOrigin,
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
      io.out(
        [
          `Orchestra is up: API at ${cluster.apiUrl}, node "${cluster.nodeName}", data in ${flags.dataDir}`,
          ...(cluster.dns
            ? [`Cluster DNS:       ${cluster.dns.address}:${cluster.dns.port} for *.${cluster.dns.domain}`]
            : []),
          `Deploy something:  orchestra deploy web --image orchestra/hello --replicas 3`,
          `Then:              orchestra get pods -o wide`,
          "Stop with Ctrl-C (containers keep running and are adopted on the next start; `orchestra down` removes them).",
          "",
        ].join("\n"),
      );
      await runUntilSignal(cluster.components, logger("up"));
    });
}
