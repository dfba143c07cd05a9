// The `orchestra` command tree. Each command lives in commands/ and is added here by its register function;
// other process kinds (e.g. `run api`, `up`) join the tree the same way.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { CliError, ExitStatus } from "./cli-error.js";
import { type CliIo, processIo } from "./cli-io.js";
import { registerApply } from "./commands/apply.js";
import { registerContexts } from "./commands/contexts.js";
import { registerCordon } from "./commands/cordon.js";
import { registerData } from "./commands/data.js";
import { registerDelete } from "./commands/delete.js";
import { registerDeploy } from "./commands/deploy.js";
import { registerDescribe } from "./commands/describe.js";
import { registerDown } from "./commands/down.js";
import { registerDrain } from "./commands/drain.js";
import { registerEvents } from "./commands/events.js";
import { registerExec } from "./commands/exec.js";
import { registerGet } from "./commands/get.js";
import { registerLab } from "./commands/lab.js";
import { registerLabel } from "./commands/label.js";
import { registerLogs } from "./commands/logs.js";
import { registerRollout } from "./commands/rollout.js";
import { registerRun } from "./commands/run.js";
import { registerScale } from "./commands/scale.js";
import { registerSnapshot } from "./commands/snapshot.js";
import { registerToken } from "./commands/token.js";
import { registerTop } from "./commands/top.js";
import { registerUp } from "./commands/up.js";
import { addGlobalOptions } from "./global-options.js";

/** Adds one command (or a group of them) to the program. */
export type CommandRegistrar = (program: Command, io: CliIo) => void;

/** Every command, in the order `orchestra --help` lists them. Add new commands here. */
export const commandRegistrars: CommandRegistrar[] = [
  registerDeploy,
  registerGet,
  registerDescribe,
  registerScale,
  registerDelete,
  registerData,
  registerContexts,
  registerApply,
  registerRollout,
  registerCordon,
  registerDrain,
  registerLabel,
  registerEvents,
  registerLogs,
  registerExec,
  registerTop,
  registerUp,
  registerRun,
  registerDown,
  registerLab,
  registerSnapshot,
  registerToken,
];

function packageVersion(): string {
  try {
    const text = readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Error text as one line: commander puts hints such as "(Did you mean get?)" on lines of their own. */
export function oneLine(text: string): string {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
}

export function buildProgram(
  io: CliIo = processIo(),
  registrars: CommandRegistrar[] = commandRegistrars,
): Command {
  const program = new Command("orchestra")
    .description("Orchestra: run containers across machines. Talks to an Orchestra API server.")
    .version(packageVersion(), "-V, --version")
    // Set before the commands are added: subcommands copy these settings when they are created.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      outputError: (text, write) => write(`${oneLine(text)}\n`),
    })
    .showSuggestionAfterError();
  addGlobalOptions(program);
  for (const register of registrars) register(program, io);
  return program;
}

/** Runs the CLI on `argv` (as process.argv: node, script, args...) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has already printed its own message (or the help) through configureOutput.
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ExitStatus) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    io.err(`error: ${oneLine(message)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
