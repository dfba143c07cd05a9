// Runs a process's components until SIGINT/SIGTERM, then stops them in reverse order of start:
// stop watching, finish in-flight writes, release leadership, close the store session.
import type { Logger } from "../core/logger.js";

export interface Stoppable {
  name: string;
  stop(): Promise<void> | void;
}

/** Resolves once a signal arrived and every component stopped. A second signal exits at once. */
export function runUntilSignal(components: Stoppable[], log: Logger): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, "second signal: exiting now");
        process.exit(130);
      }
      stopping = true;
      log.info({ signal }, "shutting down");
      void stopAll(components, log).then(() => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        resolve();
      });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

export async function stopAll(components: Stoppable[], log: Logger): Promise<void> {
  for (const component of [...components].reverse()) {
    try {
      await component.stop();
    } catch (err) {
      log.error({ err, component: component.name }, "stopping failed");
    }
  }
}
