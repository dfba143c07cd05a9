// `orchestra logs POD|deployment/NAME [-f] [--tail N] [--since 10m] [--timestamps] [--previous]`: a pod's output
// (stdout and stderr) from whichever machine runs it, or every pod's of a deployment with `[pod] ` prefixes, in the
// manner of `kubectl logs` and `docker service logs`. With -f it follows, across the container's restarts.
import type { Command } from "commander";
import { checkSince } from "../../core/since.js";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";

/** Most lines --tail may ask for (the API's limit, MAX_TAIL_LINES). */
const MAX_TAIL = 100_000;

export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  timestamps?: boolean;
  previous?: boolean;
}

/** The route and query for a target and flags; a CliError for bad input, before anything is asked. */
export function logsRequest(target: string, flags: LogsFlags): string {
  const slash = target.indexOf("/");
  const kind = slash < 0 ? "pod" : target.slice(0, slash);
  const name = slash < 0 ? target : target.slice(slash + 1);
  if (name === "") throw new CliError(`name: "${target}" names no pod or deployment`);
  const deployment = ["deployment", "deployments", "deploy"].includes(kind);
  if (!deployment && !["pod", "pods", "po"].includes(kind)) {
    throw new CliError(`"${kind}": logs are kept for a pod or a deployment (POD or deployment/NAME)`);
  }
  if (deployment && flags.previous) {
    throw new CliError("--previous: only for a pod (its container before the last restart)");
  }
  const query = new URLSearchParams();
  if (flags.follow) query.set("follow", "true");
  if (flags.tail !== undefined) {
    const tail = Number(flags.tail);
    if (!/^\d+$/.test(flags.tail) || tail > MAX_TAIL) {
      throw new CliError(`--tail: must be a number of lines from 0 to ${MAX_TAIL}, got "${flags.tail}"`);
    }
    query.set("tail", flags.tail);
  }
  if (flags.since !== undefined) {
    try {
      checkSince(flags.since, "--since");
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    query.set("since", flags.since);
  }
  if (flags.timestamps) query.set("timestamps", "true");
  if (flags.previous) query.set("previous", "true");
  const path = `/${deployment ? "deployments" : "pods"}/${encodeURIComponent(name)}/log`;
  const search = query.toString();
  return search === "" ? path : `${path}?${search}`;
}

export function registerLogs(program: Command, io: CliIo): void {
  program
    .command("logs")
    .description("print a pod's output (stdout and stderr), or every pod's of a deployment, from any machine")
    .argument("<target>", "a pod (web-x5w4w) or deployment/NAME")
    .option("-f, --follow", "keep printing what is written, across the container's restarts")
    .option("--tail <lines>", "only the last this many lines written so far")
    .option("--since <when>", "only lines written since then: 30s, 10m, 2h, or an RFC 3339 time")
    .option("--timestamps", "start each line with the time it was written")
    .option("-p, --previous", "the output of the pod's container before its last restart")
    .action(async (target: string, flags: LogsFlags, self: Command) => {
      const path = logsRequest(target, flags);
      const client = apiClientFor(self, io);
      const stop = new AbortController();
      // Interrupted while following: the normal way out of `logs -f`, not an error.
      const interrupted = () => stop.abort();
      process.once("SIGINT", interrupted);
      process.once("SIGTERM", interrupted);
      try {
        const body = await client.stream(path, stop.signal);
        const decoder = new TextDecoder();
        for await (const chunk of body) io.out(decoder.decode(chunk, { stream: true }));
      } catch (error) {
        if (stop.signal.aborted) return;
        if (error instanceof CliError) throw error;
        throw new CliError(`lost the connection to the API server (${(error as Error).message})`);
      } finally {
        process.off("SIGINT", interrupted);
        process.off("SIGTERM", interrupted);
      }
    });
}
