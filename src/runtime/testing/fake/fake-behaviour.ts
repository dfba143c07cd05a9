// How a fake container behaves: scripted per image, per command or per call, so that simulations and
// tests can make containers slow to start, crash, fail to start or answer exec in chosen ways.
import type { ContainerSpec, ExecResult, OutputStream } from "../../runtime.js";
import type { FakeSessionScript } from "./fake-exec-session.js";

export interface FakeBehaviour {
  /** Time start() takes (on the runtime's clock). */
  startLatencyMs?: number;
  /** start() fails with a ContainerStartError carrying this reason; no container is left behind. */
  startError?: string;
  /** The container exits by itself this long after starting, with `exitCode` (default 0). */
  exitAfterMs?: number;
  exitCode?: number;
  /** Time stop() takes, and the code the container exits with when stopped (default 143, SIGTERM). */
  stopLatencyMs?: number;
  stopExitCode?: number;
  /** Answers exec; the default answers exit code 0 and no output. */
  exec?: (argv: string[]) => ExecResult;
  /** Time an exec takes; longer than its timeout means an ExecTimeoutError. */
  execLatencyMs?: number;
  /** Scripts an interactive exec (openExec) of `argv`; undefined: the `exec` answer once input ends. */
  session?: (argv: string[]) => FakeSessionScript | undefined;
  /** What the container writes, each `afterMs` after it started. */
  output?: { afterMs: number; text: string; stream?: OutputStream }[];
  /** What stats() reports while it runs: CPU in millicores (accumulated over time) and memory in bytes. */
  usage?: { cpu: number; memory: number };
}

/** Which starts a rule applies to; every given field must match. */
export interface FakeMatch {
  image?: string;
  /** The exact argv of the container's command. */
  command?: string[];
  name?: string | RegExp;
  /** Applies to the next matching start only, then is dropped. */
  once?: boolean;
}

export interface FakeRule extends FakeMatch {
  behaviour: FakeBehaviour;
}

/** Merges the behaviour of every matching rule, later rules winning; consumes matching `once` rules. */
export function behaviourFor(rules: FakeRule[], spec: ContainerSpec): FakeBehaviour {
  let behaviour: FakeBehaviour = {};
  for (const rule of [...rules]) {
    if (!ruleMatches(rule, spec)) continue;
    behaviour = { ...behaviour, ...rule.behaviour };
    if (rule.once) rules.splice(rules.indexOf(rule), 1);
  }
  return behaviour;
}

function ruleMatches(rule: FakeMatch, spec: ContainerSpec): boolean {
  if (rule.image !== undefined && normalizeImage(rule.image) !== normalizeImage(spec.image)) return false;
  if (rule.command !== undefined) {
    const command = spec.command ?? [];
    if (command.length !== rule.command.length || command.some((arg, i) => arg !== rule.command?.[i]))
      return false;
  }
  if (rule.name !== undefined) {
    if (typeof rule.name === "string" ? rule.name !== spec.name : !rule.name.test(spec.name)) return false;
  }
  return true;
}

/** `busybox` and `busybox:latest` are one image, as on Docker. */
export function normalizeImage(image: string): string {
  if (image.includes("@")) return image;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  return lastSegment.includes(":") ? image : `${image}:latest`;
}
