// `orchestra deploy` flags for what a pod mounts, in Docker's and Swarm's manner: `--volume NAME:PATH[:ro]` (a
// named volume), `--volume /host/dir:PATH[:ro]` (a host path), `--tmpfs PATH[:SIZE]`, `--config NAME:PATH`
// (files; `--config NAME` alone: environment variables) and `--secret NAME[:PATH]`. Only the flags' syntax is
// checked here; the values are checked with the rest of the spec, in the server's words.
import type { ConfigRef, SecretRef, Volume } from "../core/types.js";
import { CliError } from "./cli-error.js";
import { parseMemory } from "./quantity.js";

export interface MountFlags {
  volume?: string[];
  tmpfs?: string[];
  config?: string[];
  secret?: string[];
}

/** `--volume` and `--tmpfs` flags → volumes; host paths are named host-1, host-2..., tmpfs tmpfs-1, ... */
export function volumesFromFlags(flags: MountFlags): Volume[] {
  const volumes: Volume[] = [];
  let hostPaths = 0;
  for (const text of flags.volume ?? []) {
    const parts = text.split(":");
    const readOnly = parts.length === 3 && parts[2] === "ro";
    if (parts.length < 2 || parts.length > 3 || (parts.length === 3 && !readOnly) || !parts[0] || !parts[1]) {
      throw new CliError(`--volume: expected NAME:PATH[:ro] or /HOST/DIR:PATH[:ro], got "${text}"`);
    }
    const [source, mountPath] = parts as [string, string];
    const volume: Volume = source.startsWith("/")
      ? { name: `host-${++hostPaths}`, mountPath, hostPath: source }
      : { name: source, mountPath };
    if (readOnly) volume.readOnly = true;
    volumes.push(volume);
  }
  (flags.tmpfs ?? []).forEach((text, i) => {
    const colon = text.indexOf(":");
    const mountPath = colon === -1 ? text : text.slice(0, colon);
    const size = colon === -1 ? undefined : parseMemory(text.slice(colon + 1));
    if (mountPath === "" || (colon !== -1 && size === undefined)) {
      throw new CliError(`--tmpfs: expected PATH[:SIZE] with a size like 64Mi, got "${text}"`);
    }
    const volume = {
      name: `tmpfs-${i + 1}`,
      mountPath,
      tmpfs: size === undefined ? {} : { sizeBytes: size },
    };
    volumes.push(volume as Volume);
  });
  return volumes;
}

/** `--config NAME:PATH` (files in directory PATH) or `--config NAME` (its keys as environment variables). */
export function configsFromFlags(flags: MountFlags): ConfigRef[] {
  return (flags.config ?? []).map((text) => {
    const colon = text.indexOf(":");
    if (colon === -1) return { name: text, env: true };
    if (colon === 0 || colon === text.length - 1)
      throw new CliError(`--config: expected NAME:PATH or NAME, got "${text}"`);
    return { name: text.slice(0, colon), mountPath: text.slice(colon + 1) };
  });
}

/** `--secret NAME` (files in /run/secrets/NAME) or `--secret NAME:PATH`. */
export function secretsFromFlags(flags: MountFlags): SecretRef[] {
  return (flags.secret ?? []).map((text) => {
    const colon = text.indexOf(":");
    if (colon === -1) return { name: text };
    if (colon === 0 || colon === text.length - 1)
      throw new CliError(`--secret: expected NAME or NAME:PATH, got "${text}"`);
    return { name: text.slice(0, colon), mountPath: text.slice(colon + 1) };
  });
}
