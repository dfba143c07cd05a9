// Structured logs: one pino logger per component, with the component (and object) in every line. Lines are JSON
// for machines, or readable ones (pino-pretty) for a person at a terminal (`--log-format`, setLogFormat).
import { pino } from "pino";
import { prettyFactory } from "pino-pretty";

export type Logger = pino.Logger;

export type LogFormat = "json" | "pretty";
export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

// Logs go to stderr: stdout is for what a command prints for the user (tables, start-up banner).
const stderr = pino.destination(2);
let prettify: ((line: string) => string) | undefined;

// Every logger writes through this one stream, so that the format can be chosen after the modules that made
// their loggers at load time (the commands' flags are parsed after all imports). Pretty lines are made in the
// same synchronous write, so nothing is lost or reordered on exit.
const output = {
  write(line: string): void {
    stderr.write(prettify ? prettify(line) : line);
  },
};

const root = pino(
  {
    level: process.env.ORCHESTRA_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? "silent" : "info"),
    base: undefined,
  },
  output,
);

export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}

/** For one-shot commands, whose result is what they print: only warnings and errors, unless ORCHESTRA_LOG_LEVEL says. */
export function logWarningsOnly(): void {
  if (process.env.ORCHESTRA_LOG_LEVEL === undefined && root.level !== "silent") root.level = "warn";
}

/** The format asked for, else readable lines when stderr is a terminal and JSON when it is a file or a pipe. */
export function chooseLogFormat(asked: LogFormat | undefined, stderrIsTerminal: boolean): LogFormat {
  return asked ?? (stderrIsTerminal ? "pretty" : "json");
}

/** Writes every later line of every logger in `format`; pretty lines are coloured when `colour` says. */
export function setLogFormat(format: LogFormat, colour = false): void {
  prettify =
    format === "pretty"
      ? prettyFactory({
          colorize: colour,
          translateTime: "SYS:HH:MM:ss.l",
          ignore: "pid,hostname,component",
          // The component leads the message; the object and the other fields follow on the same line.
          messageFormat: "{if component}{component}: {end}{msg}",
          singleLine: true,
        })
      : undefined;
}
