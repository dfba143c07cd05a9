// Structured logs: one pino logger per component, with the component (and object) in every line.
import { pino } from "pino";

export type Logger = pino.Logger;

const root = pino({
  level: process.env.ORCHESTRA_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? "silent" : "info"),
  base: undefined,
});

export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}
