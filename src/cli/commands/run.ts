// `orchestra run api|controller|scheduler|worker|dns`: one component per process, for distributed mode.
import { isIP } from "node:net";
import { type Command, Option } from "commander";
import { DEFAULT_API_HOST, DEFAULT_API_PORT, startApiServer } from "../../cmd/api.js";
import { DEFAULT_DNS_HOST, DEFAULT_DNS_PORT, DEFAULT_DOMAIN, startDns } from "../../cmd/dns.js";
import { runUntilSignal, type Stoppable } from "../../cmd/lifecycle.js";
import { DEFAULT_SESSION_TIMEOUT_MS, openStore, ZK_AUTH_FILE_HELP } from "../../cmd/open-store.js";
import { readToken } from "../../cmd/token.js";
import { startWorker } from "../../cmd/worker.js";
import { Controller } from "../../controller/controller.js";
import { DEFAULT_NODE_LOSS } from "../../controller/node-loss-plan.js";
import { ValidationError } from "../../core/errors.js";
import { logger } from "../../core/logger.js";
import { parseUpstream, type Upstream } from "../../dns/upstreams.js";
import { normalizeDomain } from "../../dns/zone.js";
import { EventRecorder } from "../../events/event-recorder.js";
import { DEFAULT_POD_CIDR, parsePodCidr } from "../../network/pod-cidr.js";
import { dataPathRefusal } from "../../network/privilege.js";
import { DEFAULT_NODE_ENDPOINT_PORT } from "../../node-endpoint/node-endpoint.js";
import { Scheduler } from "../../scheduler/scheduler.js";
import { readKeyFile } from "../../secrets/secret-key-file.js";
import type { Store } from "../../store/store.js";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import {
  allowHostPathOption,
  collectLabel,
  parseFraction,
  parseMilliseconds,
  parsePort,
  parsePositiveInt,
  parseSeconds,
  type RequestGuardFlags,
  requestGuardOptions,
} from "./process-options.js";

interface StoreFlags {
  store: string;
  sessionTimeout: string;
  zkAuthFile?: string;
}

/** Opens the store, starts one component on it, and runs until a signal; then stops it and closes the store. */
async function runComponent(
  component: string,
  flags: StoreFlags,
  io: CliIo,
  start: (store: Store) => Promise<Stoppable>,
): Promise<void> {
  const log = logger(component);
  const sessionTimeoutMs = parsePositiveInt(flags.sessionTimeout, "session-timeout");
  const opened = await openStore(flags.store, { sessionTimeoutMs, zkAuthFile: flags.zkAuthFile });
  const components: Stoppable[] = [{ name: "store", stop: () => opened.close() }];
  try {
    components.push(await start(opened.store));
  } catch (err) {
    await opened.close();
    throw err;
  }
  io.err(`${component} running on the ${opened.description}\n`);
  await runUntilSignal(components, log);
}

function storeOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--store <url>",
        "embedded:DIR or zk://host:port[,host:port...][/root]",
      ).makeOptionMandatory(),
    )
    .option("--session-timeout <ms>", "ZooKeeper session timeout", String(DEFAULT_SESSION_TIMEOUT_MS))
    .option("--zk-auth-file <file>", ZK_AUTH_FILE_HELP);
}

export function registerRun(program: Command, io: CliIo): void {
  const run = program.command("run").description("run one Orchestra component in this process");

  requestGuardOptions(storeOptions(run.command("api").description("the API server")))
    .option("--host <host>", "address to bind", DEFAULT_API_HOST)
    .option("--port <port>", "port to listen on", String(DEFAULT_API_PORT))
    .option("--token-file <file>", "require this bearer token (or env ORCHESTRA_TOKEN)")
    .option(
      "--secrets-key-file <file>",
      "key(s) secrets are encrypted with; without it secrets cannot be written",
    )
    .action(
      async (
        flags: StoreFlags &
          RequestGuardFlags & { host: string; port: string; tokenFile?: string; secretsKeyFile?: string },
      ) => {
        const port = parsePort(flags.port, "port");
        const token = readToken(flags.tokenFile, io.env);
        const secretsKey = flags.secretsKeyFile ? readKeyFile(flags.secretsKeyFile) : undefined;
        await runComponent("api", flags, io, async (store) => {
          const api = await startApiServer({
            store,
            host: flags.host,
            port,
            token,
            secretsKey,
            allowedHosts: flags.allowedHost,
            allowedOrigins: flags.allowedOrigin,
          });
          io.out(`API server listening at ${api.url}\n`);
          return { name: "api", stop: () => api.close() };
        });
      },
    );

  storeOptions(run.command("controller").description("the controller (leader-elected)"))
    .option(
      "--node-grace <ms>",
      "how long a node's registration stays gone before its pods move",
      String(DEFAULT_NODE_LOSS.graceMs),
    )
    .option(
      "--mass-loss-fraction <fraction>",
      "above this share of nodes gone at once, pods stay put (0 to 1)",
      String(DEFAULT_NODE_LOSS.massLossFraction),
    )
    .option(
      "--mass-loss-hold <seconds>",
      "how long such a mass loss is waited out before pods move anyway",
      String(DEFAULT_NODE_LOSS.massLossHoldMs / 1000),
    )
    .action(
      async (flags: StoreFlags & { nodeGrace: string; massLossFraction: string; massLossHold: string }) => {
        const nodeLoss = {
          graceMs: parseMilliseconds(flags.nodeGrace, "node-grace"),
          massLossFraction: parseFraction(flags.massLossFraction, "mass-loss-fraction"),
          massLossHoldMs: parseSeconds(flags.massLossHold, "mass-loss-hold") * 1000,
        };
        await runComponent("controller", flags, io, async (store) => {
          const controller = new Controller(store, {
            events: new EventRecorder(store, "controller"),
            nodeLoss,
          });
          await controller.start();
          return { name: "controller", stop: () => controller.stop() };
        });
      },
    );

  storeOptions(run.command("scheduler").description("the scheduler (leader-elected)")).action(
    async (flags: StoreFlags) => {
      await runComponent("scheduler", flags, io, async (store) => {
        const scheduler = new Scheduler(store, { events: new EventRecorder(store, "scheduler") });
        await scheduler.start();
        return { name: "scheduler", stop: () => scheduler.stop() };
      });
    },
  );

  storeOptions(
    allowHostPathOption(
      run.command("worker").description("a worker: runs the pods bound to this node on Docker"),
    ),
  )
    .option("--name <node>", "node name (default: host name)")
    .option("--address <ip>", "address other machines reach this node at (default: first non-loopback IPv4)")
    .option("--label <key=value>", "node label (repeatable)", collectLabel)
    .option("--docker-host <url>", "Docker engine (default DOCKER_HOST or the local socket)")
    .option("--network <name>", "bridge network for pods (default orchestra)")
    .option(
      "--pod-cidr <cidr>",
      `the cluster's pod addresses, one /24 per node (default: the cluster's, else ${DEFAULT_POD_CIDR})`,
    )
    .option("--stop-grace <seconds>", "seconds between SIGTERM and SIGKILL when stopping a pod", "10")
    .option(
      "--cluster-dns <ip>",
      "name server for the containers: a cluster DNS server (repeatable)",
      collectIp,
    )
    .option("--cluster-domain <name>", "search domain for the containers, with --cluster-dns", DEFAULT_DOMAIN)
    .option("--endpoint-host <host>", "address the node endpoint (logs, exec) binds (default: --address)")
    .option(
      "--endpoint-port <port>",
      "port of the node endpoint; 0 for any free one (several workers on one machine), registered with the node",
      String(DEFAULT_NODE_ENDPOINT_PORT),
    )
    .option(
      "--secrets-key-file <file>",
      "key(s) to decrypt secrets with; without it pods using one are refused",
    )
    .action(
      async (
        flags: StoreFlags & {
          clusterDns?: string[];
          clusterDomain: string;
          name?: string;
          address?: string;
          label?: Record<string, string>;
          dockerHost?: string;
          network?: string;
          podCidr?: string;
          stopGrace: string;
          allowHostPath?: string[];
          secretsKeyFile?: string;
          endpointHost?: string;
          endpointPort: string;
        },
      ) => {
        const stopGraceSeconds = parseSeconds(flags.stopGrace, "stop-grace");
        const endpoint = { host: flags.endpointHost, port: parsePort(flags.endpointPort, "endpoint-port") };
        const podCidr = flags.podCidr === undefined ? undefined : parsePodCidr(flags.podCidr);
        // Before the store is opened: a worker that cannot program the pod network says so at once.
        const refusal = dataPathRefusal();
        if (refusal) throw new CliError(refusal);
        const secrets = flags.secretsKeyFile ? readKeyFile(flags.secretsKeyFile) : undefined;
        await runComponent("worker", flags, io, async (store) => {
          const worker = await startWorker({
            store,
            name: flags.name,
            address: flags.address,
            labels: flags.label,
            dockerHost: flags.dockerHost,
            network: flags.network,
            podCidr,
            stopGraceSeconds,
            allowHostPaths: flags.allowHostPath,
            secrets,
            endpoint,
            dns: flags.clusterDns && {
              servers: flags.clusterDns,
              search: [normalizeDomain(flags.clusterDomain)],
            },
          });
          return { name: "worker", stop: () => worker.stop() };
        });
      },
    );

  storeOptions(run.command("dns").description("the cluster DNS server (several may run side by side)"))
    .option(
      "--host <host>",
      "address to serve on, UDP and TCP (one that containers can reach)",
      DEFAULT_DNS_HOST,
    )
    .option("--port <port>", "port to serve on", String(DEFAULT_DNS_PORT))
    .option("--domain <name>", "the cluster domain", DEFAULT_DOMAIN)
    .option(
      "--upstream <ip[:port]>",
      "resolver for other names (repeatable; default: the nameservers of /etc/resolv.conf)",
      (text: string, previous: Upstream[] = []) => [...previous, parseUpstream(text)],
    )
    .option("--zone-file <path>", "also keep an RFC 1035 zone file of the records here")
    .action(
      async (
        flags: StoreFlags & {
          host: string;
          port: string;
          domain: string;
          upstream?: Upstream[];
          zoneFile?: string;
        },
      ) => {
        const port = parsePort(flags.port, "port");
        await runComponent("dns", flags, io, async (store) => {
          const dns = await startDns({
            store,
            host: flags.host,
            port,
            domain: flags.domain,
            upstreams: flags.upstream,
            zoneFile: flags.zoneFile,
          });
          io.out(`DNS server listening on ${dns.address}:${dns.port} for *.${dns.domain}\n`);
          return { name: "dns", stop: () => dns.stop() };
        });
      },
    );
}

/** Collects repeated IPv4/IPv6 address flags. */
function collectIp(text: string, previous: string[] = []): string[] {
  if (isIP(text) === 0) throw new ValidationError("cluster-dns", `expected an IP address, got "${text}"`);
  return [...previous, text];
}
