// `orchestra run api|controller|scheduler|worker`: one component per process, for distributed mode.
import { type Command, Option } from "commander";
import { DEFAULT_API_HOST, DEFAULT_API_PORT, startApiServer } from "../../cmd/api.js";
import { runUntilSignal, type Stoppable } from "../../cmd/lifecycle.js";
import { DEFAULT_SESSION_TIMEOUT_MS, openStore } from "../../cmd/open-store.js";
import { readToken } from "../../cmd/token.js";
import { startWorker } from "../../cmd/worker.js";
import { Controller } from "../../controller/controller.js";
import { logger } from "../../core/logger.js";
import { Scheduler } from "../../scheduler/scheduler.js";
import type { Store } from "../../store/store.js";
import type { CliIo } from "../cli-io.js";
import { collectLabel, parsePort, parsePositiveInt, parseSeconds } from "./process-options.js";

interface StoreFlags {
  store: string;
  sessionTimeout: string;
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
  const opened = await openStore(flags.store, { sessionTimeoutMs });
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
    .option("--session-timeout <ms>", "ZooKeeper session timeout", String(DEFAULT_SESSION_TIMEOUT_MS));
}

export function registerRun(program: Command, io: CliIo): void {
  const run = program.command("run").description("run one Orchestra component in this process");

  storeOptions(run.command("api").description("the API server"))
    .option("--host <host>", "address to bind", DEFAULT_API_HOST)
    .option("--port <port>", "port to listen on", String(DEFAULT_API_PORT))
    .option("--token-file <file>", "require this bearer token (or env ORCHESTRA_TOKEN)")
    .action(async (flags: StoreFlags & { host: string; port: string; tokenFile?: string }) => {
      const port = parsePort(flags.port, "port");
      const token = readToken(flags.tokenFile, io.env);
      await runComponent("api", flags, io, async (store) => {
        const api = await startApiServer({ store, host: flags.host, port, token });
        io.out(`API server listening at ${api.url}\n`);
        return { name: "api", stop: () => api.close() };
      });
    });

  storeOptions(run.command("controller").description("the controller (leader-elected)")).action(
    async (flags: StoreFlags) => {
      await runComponent("controller", flags, io, async (store) => {
        const controller = new Controller(store);
        await controller.start();
        return { name: "controller", stop: () => controller.stop() };
      });
    },
  );

  storeOptions(run.command("scheduler").description("the scheduler (leader-elected)")).action(
    async (flags: StoreFlags) => {
      await runComponent("scheduler", flags, io, async (store) => {
        const scheduler = new Scheduler(store);
        await scheduler.start();
        return { name: "scheduler", stop: () => scheduler.stop() };
      });
    },
  );

  storeOptions(run.command("worker").description("a worker: runs the pods bound to this node on Docker"))
    .option("--name <node>", "node name (default: host name)")
    .option("--address <ip>", "address other machines reach this node at (default: first non-loopback IPv4)")
    .option("--label <key=value>", "node label (repeatable)", collectLabel)
    .option("--docker-host <url>", "Docker engine (default DOCKER_HOST or the local socket)")
    .option("--network <name>", "bridge network for pods (default orchestra)")
    .option("--subnet <cidr>", "subnet of that network when it is created (default: Docker picks)")
    .option("--stop-grace <seconds>", "seconds between SIGTERM and SIGKILL when stopping a pod", "10")
    .action(
      async (
        flags: StoreFlags & {
          name?: string;
          address?: string;
          label?: Record<string, string>;
          dockerHost?: string;
          network?: string;
          subnet?: string;
          stopGrace: string;
        },
      ) => {
        const stopGraceSeconds = parseSeconds(flags.stopGrace, "stop-grace");
        await runComponent("worker", flags, io, async (store) => {
          const worker = await startWorker({
            store,
            name: flags.name,
            address: flags.address,
            labels: flags.label,
            dockerHost: flags.dockerHost,
            network: flags.network,
            subnet: flags.subnet,
            stopGraceSeconds,
          });
          return { name: "worker", stop: () => worker.stop() };
        });
      },
    );
}
