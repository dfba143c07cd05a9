// Structured logs: one pino logger per component, with the component (and object) in every line.
import { pino } from "pino";

export type Logger = pino.Logger;

// Logs go to stderr: stdout is for what a command prints for the user (tables, start-up banner).
const root = pino(
  {
    level: process.env.ORCHESTRA_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? "silent" : "info"),
    base: undefined,
  },
  pino.destination(2),
);

export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}

/** For one-shot commands, whose result is what they print: only warnings and errors, unless ORCHESTRA_LOG_LEVEL says. */
export function logWarningsOnly(): void {
  if (process.env.ORCHESTRA_LOG_LEVEL === undefined && root.level !== "silent") root.level = "warn";
}
