// `orchestra events [NAME] [--watch] [-o table|json]`: what happened in the cluster, oldest first, in the
// manner of `kubectl get events`; --watch polls every second and prints new events until interrupted.
import { setTimeout as sleep } from "node:timers/promises";
import { type Command, Option } from "commander";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";
import { eventTable } from "../output/event-table.js";
import { formatTable } from "../output/table.js";

const POLL_MS = 1000;

export function registerEvents(program: Command, io: CliIo): void {
  program
    .command("events")
    .description("show cluster events (scheduled, evicted, unhealthy, rolled back, ...), oldest first")
    .argument("[name]", "only events about this object or deployment (e.g. web, web-x5w4w, node/n1)")
    .option("-w, --watch", "keep printing new events until interrupted")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["table", "json"]).default("table"),
    )
    .action(
      async (
        name: string | undefined,
        flags: { watch?: boolean; output: "table" | "json" },
        self: Command,
      ) => {
        const client = apiClientFor(self, io);
        let events = await client.listEvents({ name });
        if (!flags.watch) {
          if (flags.output === "json") io.out(`${JSON.stringify(events, null, 2)}\n`);
          else if (events.length === 0) io.err("No events found.\n");
          else io.out(formatTable(eventTable(events, io.now())));
          return;
        }
        // Watching: JSON as one event per line; a table's header once, then rows as they come.
        let headerShown = false;
        let last: string | undefined;
        for (;;) {
          if (events.length > 0) {
            if (flags.output === "json") {
              for (const event of events) io.out(`${JSON.stringify(event)}\n`);
            } else {
              const lines = formatTable(eventTable(events, io.now())).split("\n");
              io.out(`${(headerShown ? lines.slice(1) : lines).join("\n")}`);
              headerShown = true;
            }
            last = events[events.length - 1]?.id;
          }
          await sleep(POLL_MS);
          events = await client.listEvents({ name, since: last });
        }
      },
    );
}
