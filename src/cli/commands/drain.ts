// `orchestra drain NODE [--timeout 5m]`: cordon the node, then evict its pods through the eviction API,
// which refuses (429) while an eviction would take a deployment below its maxUnavailable budget; refused
// evictions are retried every second until the node has no pods or the timeout passes.
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import type { Pod } from "../../core/types.js";
import { ApiError, CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";

const RETRY_MS = 1000;

/** `90`, `90s`, `5m`, `1h` → milliseconds; 0 means no limit. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new CliError(`${flag}: expected a duration such as 90s, 5m or 1h, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

export function registerDrain(program: Command, io: CliIo): void {
  program
    .command("drain")
    .description("cordon a node and evict its pods, honouring each deployment's maxUnavailable")
    .argument("<node>", "node name")
    .option("--timeout <duration>", "give up after this long (0: never)", "5m")
    .action(async (node: string, flags: { timeout: string }, self: Command) => {
      const timeoutMs = parseDuration(flags.timeout, "--timeout");
      const client = apiClientFor(self, io);
      const deadline = io.now() + timeoutMs;
      const { changed } = await client.setCordon(node, true);
      io.out(`node/${node} ${changed ? "" : "already "}cordoned\n`);
      const announced = new Set<string>();
      const refused = new Map<string, string>();
      for (;;) {
        const pods = await client.listPods({ node });
        if (pods.length === 0) break;
        if (timeoutMs > 0 && io.now() >= deadline) {
          const reasons = [...new Set(refused.values())].join("; ");
          throw new CliError(
            `drain of node/${node} timed out after ${flags.timeout} with ${pods.length} pod(s) left` +
              (reasons ? `: ${reasons}` : ""),
          );
        }
        for (const pod of pods) await evictOne(pod);
        await sleep(RETRY_MS);
      }
      io.out(`node/${node} drained\n`);

      async function evictOne(pod: Pod): Promise<void> {
        if (!announced.has(pod.id)) {
          announced.add(pod.id);
          io.out(`evicting pod/${pod.name}\n`);
        }
        try {
          await client.evictPod(pod.id);
          refused.delete(pod.id);
          io.out(`pod/${pod.name} evicted\n`);
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) return; // gone meanwhile: fine
          if (!(error instanceof ApiError && error.status === 429)) throw error;
          // Say why once per pod and reason, not once a second.
          if (refused.get(pod.id) !== error.message) {
            io.err(`waiting to evict pod/${pod.name} (will retry): ${error.message}\n`);
          }
          refused.set(pod.id, error.message);
        }
      }
    });
}
