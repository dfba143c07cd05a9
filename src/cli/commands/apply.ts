// `orchestra apply -f FILE|-`: create or replace every deployment a YAML or JSON file describes.
import type { Command } from "commander";
import { ValidationError } from "../../core/errors.js";
import { DEFAULT_MAX_MANIFEST_BYTES } from "../../core/limits.js";
import type { DeploymentSpec } from "../../core/types.js";
import { validateDeploymentSpec } from "../../core/validation.js";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";
import { readFileCapped } from "../input-file.js";
import { manifestLabel, parseManifests } from "../manifests.js";
import { putDeployment } from "../put-deployment.js";
import { parsePositiveInt } from "./process-options.js";
import { DEFAULT_ROLLOUT_TIMEOUT, parseDuration, waitForRollout } from "./rollout.js";

async function readSource(path: string, io: CliIo, maxBytes: number): Promise<string> {
  const hint = " (apply --max-size)";
  if (path === "-") return io.readStdin({ maxBytes, label: "stdin", hint });
  try {
    return readFileCapped(path, { maxBytes, label: path, hint }).toString("utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (code ?? String(error));
    throw new CliError(`cannot read ${path} (${reason})`);
  }
}

export function registerApply(program: Command, io: CliIo): void {
  program
    .command("apply")
    .description("create or replace the deployments in a YAML or JSON file (many documents allowed)")
    .requiredOption("-f, --filename <file>", "file to read, or - for stdin")
    .option("--wait", "wait for every rollout to finish, showing progress (exit 1 if one fails)")
    .option("--timeout <duration>", "with --wait: give up after this long", DEFAULT_ROLLOUT_TIMEOUT)
    .option(
      "--max-size <bytes>",
      "refuse a file (or stdin) larger than this, before reading it",
      String(DEFAULT_MAX_MANIFEST_BYTES),
    )
    .addHelpText(
      "after",
      "\nEach document is a deployment spec:\n  name: web\n  image: nginx:alpine\n  replicas: 3\n" +
        "Separate documents with ---, or give a JSON array.\n",
    )
    .action(
      async (
        flags: { filename: string; wait?: boolean; timeout: string; maxSize: string },
        self: Command,
      ) => {
        const timeoutMs = parseDuration(flags.timeout);
        const maxBytes = parsePositiveInt(flags.maxSize, "max-size");
        const source = flags.filename === "-" ? "stdin" : flags.filename;
        const text = await readSource(flags.filename, io, maxBytes);
        let manifests: ReturnType<typeof parseManifests>;
        try {
          manifests = parseManifests(text);
        } catch (error) {
          throw error instanceof CliError ? new CliError(`${source}: ${error.message}`) : error;
        }
        if (manifests.length === 0) throw new CliError(`${source}: no deployments found`);
        // Every document is checked, with the server's own rules, before the first is sent: a typo in the
        // last document should not leave the first ones applied and the rest not.
        const specs = manifests.map((manifest) => {
          try {
            return validateDeploymentSpec(manifest.spec);
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            throw new CliError(`${source}: ${manifestLabel(manifest)}: ${error.message}`);
          }
        });
        const client = apiClientFor(self, io);
        for (const [i, manifest] of manifests.entries()) {
          const spec = specs[i] as DeploymentSpec;
          let outcome: string;
          try {
            outcome = await putDeployment(client, spec);
          } catch (error) {
            if (!(error instanceof CliError)) throw error;
            throw new CliError(`${source}: ${manifestLabel(manifest)}: ${error.message}`, error.exitCode);
          }
          io.out(`deployment/${spec.name} ${outcome}\n`);
        }
        if (!flags.wait) return;
        // One deadline for all: --timeout bounds the whole command.
        const deadline = io.now() + timeoutMs;
        for (const spec of specs as DeploymentSpec[]) {
          const left = timeoutMs > 0 ? Math.max(1, deadline - io.now()) : 0;
          await waitForRollout(client, spec.name, io, { timeoutMs: left });
        }
      },
    );
}
