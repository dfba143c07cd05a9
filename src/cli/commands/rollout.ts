// `orchestra rollout status|history|undo NAME`: follow a rollout in kubectl's manner, list revisions, go
// back. `waitForRollout` is also what `deploy --wait` and `apply --wait` run.
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import type { ApiClient, RolloutView } from "../api-client.js";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";
import { formatAge } from "../output/age.js";
import { formatStructured } from "../output/structured.js";
import { formatTable } from "../output/table.js";

export const DEFAULT_ROLLOUT_TIMEOUT = "5m";

export interface WaitOptions {
  /** 0: wait for ever. */
  timeoutMs: number;
  /** Between two reads of the rollout. Default 1 s. */
  pollMs?: number;
}

/** `90`, `90s`, `5m`, `1h`, `1m30s` → milliseconds. */
export function parseDuration(text: string, flag = "--timeout"): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== trimmed)
    throw new CliError(`${flag}: expected a duration such as 90s, 5m or 1h, got "${text}"`);
  return parts.reduce((total, part) => total + Number(part[1]) * (units[part[2] as string] ?? 0), 0);
}

/** One kubectl-style line on where the rollout is, and whether it is done. */
export function describeRollout(name: string, rollout: RolloutView): { line: string; done: boolean } {
  const waiting = `Waiting for deployment "${name}" rollout to finish: `;
  if (!rollout.observed) return { line: "Waiting for deployment spec update to be observed...", done: false };
  const { replicas, updatedReplicas, availableReplicas, totalReplicas } = rollout;
  if (updatedReplicas < replicas)
    return {
      line: `${waiting}${updatedReplicas} out of ${replicas} new replicas have been updated...`,
      done: false,
    };
  if (totalReplicas > updatedReplicas)
    return {
      line: `${waiting}${totalReplicas - updatedReplicas} old replicas are pending termination...`,
      done: false,
    };
  if (availableReplicas < updatedReplicas)
    return {
      line: `${waiting}${availableReplicas} of ${updatedReplicas} updated replicas are available...`,
      done: false,
    };
  return { line: `deployment "${name}" successfully rolled out`, done: true };
}

/**
 * Prints progress lines (each once) until the rollout completes; throws a CliError (exit 1) saying why when
 * it fails, is rolled back, or the timeout passes.
 */
export async function waitForRollout(
  client: ApiClient,
  name: string,
  io: CliIo,
  options: WaitOptions,
): Promise<void> {
  const deadline = options.timeoutMs > 0 ? io.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
  let last = "";
  for (;;) {
    const rollout = await client.getRollout(name);
    if (rollout.observed && rollout.state === "rolled-back")
      throw new CliError(`deployment "${name}" was rolled back: ${rollout.message}`);
    if (rollout.observed && rollout.state === "failed")
      throw new CliError(`deployment "${name}" rollout failed: ${rollout.message}`);
    const { line, done } = describeRollout(name, rollout);
    if (line !== last) io.out(`${line}\n`);
    last = line;
    if (done) return;
    if (io.now() >= deadline)
      throw new CliError(`timed out waiting for deployment "${name}" rollout to finish: ${rollout.message}`);
    await sleep(Math.min(options.pollMs ?? 1000, Math.max(0, deadline - io.now())));
  }
}

export function registerRollout(program: Command, io: CliIo): void {
  const rollout = program
    .command("rollout")
    .description("follow, list and undo the rollouts of a deployment")
    .addHelpText(
      "after",
      "\nExamples:\n  orchestra rollout status web --timeout 2m\n  orchestra rollout history web\n" +
        "  orchestra rollout undo web --to-revision 2\n",
    );

  rollout
    .command("status")
    .description("wait for the rollout to finish; exit 1 when it fails, is rolled back or times out")
    .argument("<name>", "deployment name")
    .option("--timeout <duration>", "give up after this long (0: never)", DEFAULT_ROLLOUT_TIMEOUT)
    .action(async (name: string, flags: { timeout: string }, self: Command) => {
      const timeoutMs = parseDuration(flags.timeout);
      await waitForRollout(apiClientFor(self, io), name, io, { timeoutMs });
    });

  rollout
    .command("history")
    .description("list the revisions of a deployment, oldest first")
    .argument("<name>", "deployment name")
    .option("-o, --output <format>", "table, json or yaml", "table")
    .action(async (name: string, flags: { output: string }, self: Command) => {
      const revisions = await apiClientFor(self, io).getHistory(name);
      if (flags.output === "json" || flags.output === "yaml") {
        io.out(formatStructured(revisions, flags.output));
        return;
      }
      if (flags.output !== "table")
        throw new CliError(`--output: expected table, json or yaml, got "${flags.output}"`);
      const rows = revisions.map((revision) => [
        String(revision.revision),
        revision.hash,
        revision.template.image,
        revision.cause,
        formatAge(revision.createdAt, io.now()),
      ]);
      io.out(formatTable({ headers: ["REVISION", "HASH", "IMAGE", "CHANGE-CAUSE", "CREATED"], rows }));
    });

  rollout
    .command("undo")
    .description("go back to the previous revision, or to the one given")
    .argument("<name>", "deployment name")
    .option("--to-revision <n>", "the revision to go back to (see `rollout history`)")
    .action(async (name: string, flags: { toRevision?: string }, self: Command) => {
      let toRevision: number | undefined;
      if (flags.toRevision !== undefined) {
        toRevision = Number(flags.toRevision);
        if (!Number.isInteger(toRevision) || toRevision < 1)
          throw new CliError(`--to-revision: expected a revision number, got "${flags.toRevision}"`);
      }
      const result = await apiClientFor(self, io).rollback(name, toRevision);
      io.out(`deployment/${name} rolled back to revision ${result.toRevision}\n`);
    });
}
