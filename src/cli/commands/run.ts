// `orchestra run api|controller|scheduler|worker|dns`: one component per process, for distributed mode.
import { isIP } from "node:net";
import { type Command, Option } from "commander";
import { DEFAULT_API_HOST, DEFAULT_API_PORT, startApiServer } from "../../cmd/api.js";
import { type ApiTlsFlags, resolveApiTls } from "../../cmd/api-tls.js";
import { DEFAULT_DNS_HOST, DEFAULT_DNS_PORT, DEFAULT_DOMAIN, startDns } from "../../cmd/dns.js";
import { runUntilSignal, type Stoppable, stopAll } from "../../cmd/lifecycle.js";
import { DEFAULT_SESSION_TIMEOUT_MS, openStore } from "../../cmd/open-store.js";
import { parseStoreUrl } from "../../cmd/store-url.js";
import { readToken } from "../../cmd/token.js";
import { startWorker } from "../../cmd/worker.js";
import {
  type JoinedZooKeeperAccess,
  type JoinZooKeeperTlsFlags,
  joinZooKeeperTls,
  readZooKeeperAccess,
  type ZooKeeperFlags,
} from "../../cmd/zookeeper-access.js";
import { Controller } from "../../controller/controller.js";
import { DEFAULT_NODE_LOSS } from "../../controller/node-loss-plan.js";
import { ValidationError } from "../../core/errors.js";
import { type LogFormat, logger } from "../../core/logger.js";
import { parseUpstream, type Upstream } from "../../dns/upstreams.js";
import { normalizeDomain } from "../../dns/zone.js";
import { EventRecorder } from "../../events/event-recorder.js";
import { DEFAULT_METRICS_PORTS, startMetricsServer } from "../../metrics/metrics-server.js";
import { DEFAULT_POD_CIDR, parsePodCidr } from "../../network/pod-cidr.js";
import { dataPathRefusal } from "../../network/privilege.js";
import { DEFAULT_NODE_ENDPOINT_PORT } from "../../node-endpoint/node-endpoint.js";
import { Scheduler } from "../../scheduler/scheduler.js";
import { readKeyFile } from "../../secrets/secret-key-file.js";
import type { Store } from "../../store/store.js";
import { defaultNodeName } from "../../worker/node-address.js";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { type WorkerStoreFlags, workerStore } from "../worker-join.js";
import { joinZooKeeperTlsOptions, zookeeperOptions } from "../zookeeper-options.js";
import {
  type ApiLimitFlags,
  allowHostPathOption,
  apiLimitOptions,
  apiLimitsFrom,
  apiTlsOptions,
  applyLogFormat,
  collectLabel,
  logFormatOption,
  type MetricsFlags,
  metricsOptions,
  parseFraction,
  parseMilliseconds,
  parsePort,
  parsePositiveInt,
  parseSeconds,
  type RequestGuardFlags,
  requestGuardOptions,
} from "./process-options.js";

interface StoreFlags extends ZooKeeperFlags {
  store: string;
  sessionTimeout: string;
  /** The store's identity and CA as a worker's join brought them. */
  joined?: JoinedZooKeeperAccess;
  logFormat?: LogFormat;
}

/**
 * Opens the store, starts one component on it, and runs until a signal; then stops it and closes the store.
 * A component without an API serves GET /metrics on its own port.
 */
async function runComponent(
  component: string,
  flags: StoreFlags & Partial<MetricsFlags>,
  io: CliIo,
  start: (store: Store) => Promise<Stoppable>,
): Promise<void> {
  applyLogFormat(flags.logFormat);
  const log = logger(component);
  const sessionTimeoutMs = parsePositiveInt(flags.sessionTimeout, "session-timeout");
  const metricsPort =
    flags.metricsPort === undefined ? undefined : parsePort(flags.metricsPort, "metrics-port");
  const opened = await openStore(flags.store, { sessionTimeoutMs, zookeeper: flags, joined: flags.joined });
  const components: Stoppable[] = [{ name: "store", stop: () => opened.close() }];
  try {
    components.push(await start(opened.store));
  } catch (err) {
    await opened.close();
    throw err;
  }
  if (metricsPort !== undefined) {
    const metrics = await startMetricsServer({
      host: flags.metricsHost,
      port: metricsPort,
      portIsDefault: flags.metricsPort === String(DEFAULT_METRICS_PORTS[component as MetricsComponent]),
    }).catch(async (err: unknown) => {
      await stopAll(components, log);
      throw err;
    });
    if (metrics) {
      components.push({ name: "metrics", stop: () => metrics.close() });
      io.out(`Metrics at ${metrics.url}\n`);
    }
  }
  io.err(`${component} running on the ${opened.description}\n`);
  await runUntilSignal(components, log);
}

type MetricsComponent = keyof typeof DEFAULT_METRICS_PORTS;

/** A component's own /metrics listener, on its default port unless told. */
function withMetrics(command: Command, component: MetricsComponent): Command {
  return metricsOptions(command, DEFAULT_METRICS_PORTS[component]);
}

/** What every component process takes: its store (mandatory unless a worker joins), and its log format. */
function storeOptions(command: Command, mandatory = true): Command {
  const store = new Option("--store <url>", "embedded:DIR or zk://host:port[,host:port...][/root]");
  return zookeeperOptions(
    logFormatOption(command)
      .addOption(mandatory ? store.makeOptionMandatory() : store)
      .option("--session-timeout <ms>", "ZooKeeper session timeout", String(DEFAULT_SESSION_TIMEOUT_MS)),
  );
}

export function registerRun(program: Command, io: CliIo): void {
  const run = program.command("run").description("run one Orchestra component in this process");

  joinZooKeeperTlsOptions(
    apiTlsOptions(
      apiLimitOptions(requestGuardOptions(storeOptions(run.command("api").description("the API server")))),
    ),
  )
    .option("--host <host>", "address to bind", DEFAULT_API_HOST)
    .option(
      "--data-dir <dir>",
      "where generated certificates are kept, under tls/ (default: an embedded store's folder, else .orchestra)",
    )
    .option("--port <port>", "port to listen on", String(DEFAULT_API_PORT))
    .option("--token-file <file>", "require this bearer token (or env ORCHESTRA_TOKEN)")
    .option(
      "--join-store <url>",
      "the store URL handed to workers that join with a node token (default: --store)",
    )
    .option(
      "--secrets-key-file <file>",
      "key(s) secrets are encrypted with; without it secrets cannot be written",
    )
    .action(
      async (
        flags: StoreFlags &
          RequestGuardFlags &
          ApiLimitFlags &
          ApiTlsFlags &
          JoinZooKeeperTlsFlags & {
            host: string;
            port: string;
            tokenFile?: string;
            secretsKeyFile?: string;
            dataDir?: string;
            joinStore?: string;
          },
      ) => {
        const port = parsePort(flags.port, "port");
        const limits = apiLimitsFrom(flags);
        const token = readToken(flags.tokenFile, io.env);
        const location = parseStoreUrl(flags.store);
        const dataDir = flags.dataDir ?? (location.kind === "embedded" ? location.dir : ".orchestra");
        const tls = await resolveApiTls(flags.host, dataDir, flags);
        for (const note of tls?.notes ?? []) io.err(`${note}\n`);
        const secretsKey = flags.secretsKeyFile ? readKeyFile(flags.secretsKeyFile) : undefined;
        const zookeeper = readZooKeeperAccess(flags);
        const joinTls = joinZooKeeperTls(flags, zookeeper.tls);
        await runComponent("api", flags, io, async (store) => {
          const api = await startApiServer({
            store,
            host: flags.host,
            port,
            token,
            tls: tls && { cert: tls.cert, key: tls.key },
            secretsKey,
            allowedHosts: flags.allowedHost,
            allowedOrigins: flags.allowedOrigin,
            join: {
              store: flags.joinStore ?? flags.store,
              ...(zookeeper.auth ? { zkAuth: zookeeper.auth } : {}),
              ...(joinTls ? { zkTls: joinTls } : {}),
            },
            ...limits,
          });
          io.out(`API server listening at ${api.url}\n`);
          if (tls?.caFile) io.err(`clients verify it with the cluster CA in ${tls.caFile}\n`);
          return { name: "api", stop: () => api.close() };
        });
      },
    );

  withMetrics(
    storeOptions(run.command("controller").description("the controller (leader-elected)")),
    "controller",
  )
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

  withMetrics(
    storeOptions(run.command("scheduler").description("the scheduler (leader-elected)")),
    "scheduler",
  ).action(async (flags: StoreFlags) => {
    await runComponent("scheduler", flags, io, async (store) => {
      const scheduler = new Scheduler(store, { events: new EventRecorder(store, "scheduler") });
      await scheduler.start();
      return { name: "scheduler", stop: () => scheduler.stop() };
    });
  });

  withMetrics(
    storeOptions(
      allowHostPathOption(
        run.command("worker").description("a worker: runs the pods bound to this node on Docker"),
      ),
      false,
    ),
    "worker",
  )
    .option(
      "--join-token <token>",
      "join through the API server (--server) with this node token, instead of --store",
    )
    .option("--join-token-file <file>", "read the join token from this file (or env ORCHESTRA_JOIN_TOKEN)")
    .option(
      "--server-ca <file>",
      "with a join token: the cluster CA the API server's certificate must chain to (its <data dir>/tls/ca.pem)",
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
        flags: Omit<StoreFlags, "store"> &
          WorkerStoreFlags & {
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
        self: Command,
      ) => {
        const stopGraceSeconds = parseSeconds(flags.stopGrace, "stop-grace");
        const endpoint = { host: flags.endpointHost, port: parsePort(flags.endpointPort, "endpoint-port") };
        const podCidr = flags.podCidr === undefined ? undefined : parsePodCidr(flags.podCidr);
        // Before the store is opened: a worker that cannot program the pod network says so at once.
        const refusal = dataPathRefusal();
        if (refusal) throw new CliError(refusal);
        const secrets = flags.secretsKeyFile ? readKeyFile(flags.secretsKeyFile) : undefined;
        const name = flags.name ?? defaultNodeName();
        const { server } = self.optsWithGlobals<{ server?: string }>();
        const where = await workerStore(flags, { server, node: name, env: io.env });
        await runComponent("worker", { ...flags, ...where }, io, async (store) => {
          const worker = await startWorker({
            store,
            name,
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

  withMetrics(
    storeOptions(run.command("dns").description("the cluster DNS server (several may run side by side)")),
    "dns",
  )
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
