// The all-in-one (`orchestra up`): API server, controller, scheduler and one worker on the local Docker
// engine, sharing one embedded store on local disk.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { Controller } from "../controller/controller.js";
import { logger } from "../core/logger.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { startApiServer } from "./api.js";
import { type Stoppable, stopAll } from "./lifecycle.js";
import { openStore } from "./open-store.js";
import { startWorker } from "./worker.js";

export interface UpOptions {
  dataDir: string;
  apiHost: string;
  apiPort: number;
  token?: string;
  dockerHost?: string;
  nodeName?: string;
  network?: string;
  subnet?: string;
  stopGraceSeconds?: number;
}

export interface RunningCluster {
  apiUrl: string;
  nodeName: string;
  components: Stoppable[];
  stop(): Promise<void>;
}

export async function up(options: UpOptions): Promise<RunningCluster> {
  const log = logger("up");
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const opened = await openStore(`embedded:${dataDir}`);
  const components: Stoppable[] = [{ name: "store", stop: () => opened.close() }];
  const stop = () => stopAll(components, log);
  try {
    const controller = new Controller(opened.store);
    await controller.start();
    components.push({ name: "controller", stop: () => controller.stop() });

    const scheduler = new Scheduler(opened.store);
    await scheduler.start();
    components.push({ name: "scheduler", stop: () => scheduler.stop() });

    const worker = await startWorker({
      store: opened.store,
      name: options.nodeName,
      dockerHost: options.dockerHost,
      network: options.network,
      subnet: options.subnet,
      stopGraceSeconds: options.stopGraceSeconds,
      // The all-in-one's node is this machine; pods are reached on their bridge addresses from here.
      address: "127.0.0.1",
    });
    components.push({ name: "worker", stop: () => worker.stop() });

    const api = await startApiServer({
      store: opened.store,
      host: options.apiHost,
      port: options.apiPort,
      token: options.token,
    });
    components.push({ name: "api", stop: () => api.close() });
    return { apiUrl: api.url, nodeName: worker.worker.name, components, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
