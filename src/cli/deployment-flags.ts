// Turns `orchestra deploy` flags into a DeploymentSpec, catching malformed flags before any request is made.
// Values are checked by the same schemas as on the server (src/core), so a user sees the same line
// whichever side catches it; only the syntax of the flags themselves is checked here.
import type { DeploymentSpec, PortSpec, Resources } from "../core/types.js";
import { validateDeploymentSpec, validateReplicas } from "../core/validation.js";
import { CliError } from "./cli-error.js";
import { configsFromFlags, type MountFlags, secretsFromFlags, volumesFromFlags } from "./mount-flags.js";
import { parsePublishedPort, withPublished } from "./published-port-flag.js";
import { parseCpu, parseMemory } from "./quantity.js";

export interface DeployFlags extends MountFlags {
  image: string;
  replicas?: string;
  env?: string[];
  port?: string[];
  publish?: string[];
  label?: string[];
  cpu?: string;
  memory?: string;
}

const PORT = /^(?:([^:/]+):)?(\d+)(?:\/([A-Za-z]+))?$/;

export { specOf } from "../core/validation.js";

/** `3` → 3. Anything but a whole number from 0 to 1000 fails as the server would. */
export function parseReplicas(text: string): number {
  // Digits only (`1e2` and `0x10` are numbers to JavaScript, not to a user); anything else stays a string,
  // which the schema refuses in its own words.
  return validateReplicas(/^\s*\d+\s*$/.test(text) ? Number(text) : text);
}

/** Repeated `--flag KEY=VALUE` → a map; the value may itself hold `=`; a later key wins. */
export function parseKeyValues(flag: string, pairs: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new CliError(`--${flag}: expected KEY=VALUE, got "${pair}"`);
    map[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return map;
}

/** `8080`, `http:8080`, `53/udp`, `dns:53/udp` → a PortSpec. */
export function parsePortFlag(text: string): PortSpec {
  const match = PORT.exec(text);
  const protocol = (match?.[3] ?? "tcp").toLowerCase();
  if (!match || (protocol !== "tcp" && protocol !== "udp")) {
    throw new CliError(`--port: expected [NAME:]PORT[/tcp|/udp], got "${text}"`);
  }
  // The range (and the name's syntax) is checked with the rest of the spec, in the server's words.
  const port: PortSpec = { containerPort: Number(match[2]), protocol };
  if (match[1] !== undefined) port.name = match[1];
  return port;
}

/** `8000:80`, `5353:53/udp` → a published PortSpec. */
export function parsePublishFlag(text: string): PortSpec {
  const port = parsePublishedPort(text);
  if (!port) throw new CliError(`--publish: expected PUBLISHED:CONTAINER[/tcp|/udp], got "${text}"`);
  return port;
}

function resourcesFromFlags(flags: DeployFlags): Resources | undefined {
  if (flags.cpu === undefined && flags.memory === undefined) return undefined;
  const resources: Resources = {};
  if (flags.cpu !== undefined) {
    const cpu = parseCpu(flags.cpu);
    if (cpu === undefined)
      throw new CliError(`--cpu: expected millicores, e.g. 500 or 500m, got "${flags.cpu}"`);
    resources.cpu = cpu;
  }
  if (flags.memory !== undefined) {
    const memory = parseMemory(flags.memory);
    if (memory === undefined) {
      throw new CliError(`--memory: expected bytes or a quantity like 128Mi or 1Gi, got "${flags.memory}"`);
    }
    resources.memory = memory;
  }
  return resources;
}

/**
 * The whole spec from the flags: `deploy` replaces a deployment's spec, so a field not given is left out
 * (and so reset to its default), as `kubectl create deployment` would have it. Validated as the server
 * would validate it (a ValidationError names the field), so a bad flag costs no request.
 */
export function specFromFlags(name: string, flags: DeployFlags, command: string[]): DeploymentSpec {
  const spec: DeploymentSpec = {
    name,
    image: flags.image,
    replicas: flags.replicas === undefined ? 1 : parseReplicas(flags.replicas),
  };
  if (command.length > 0) spec.command = command;
  if (flags.env && flags.env.length > 0) spec.env = parseKeyValues("env", flags.env);
  const ports = withPublished(
    (flags.port ?? []).map(parsePortFlag),
    (flags.publish ?? []).map(parsePublishFlag),
  );
  if (ports.length > 0) spec.ports = ports;
  if (flags.label && flags.label.length > 0) spec.labels = parseKeyValues("label", flags.label);
  const resources = resourcesFromFlags(flags);
  if (resources) spec.resources = resources;
  const volumes = volumesFromFlags(flags);
  if (volumes.length > 0) spec.volumes = volumes;
  const configs = configsFromFlags(flags);
  if (configs.length > 0) spec.configs = configs;
  const secrets = secretsFromFlags(flags);
  if (secrets.length > 0) spec.secrets = secrets;
  return validateDeploymentSpec(spec);
}
