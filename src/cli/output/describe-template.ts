// The pod template part of `orchestra describe deployment|pod`: image, command, ports (published ones too),
// environment variable names, resources, health check, placement, restart policy, and what it mounts.
// Never a value: environment values may hold credentials, and secrets show by name and path only.
import { SECRETS_MOUNT_ROOT } from "../../core/schemas/mounts.js";
import type { HealthCheck, Placement, PodTemplate, RestartPolicy } from "../../core/types.js";
import { formatCpu, formatMemory } from "../quantity.js";
import type { Description } from "./description.js";

/** Adds the template's fields to `description`. */
export function describeTemplate(description: Description, template: PodTemplate, indent = 0): void {
  description
    .field("Image", template.image, indent)
    .field("Command", template.command ? commandText(template.command) : undefined, indent)
    .field("Ports", lines((template.ports ?? []).map(portText)), indent)
    .field("Environment", environmentText(template), indent)
    .field("Labels", labelText(template.labels), indent)
    .field("Resources", resourcesText(template.resources), indent)
    .field("Health check", template.healthCheck ? healthText(template.healthCheck) : undefined, indent)
    .field("Placement", template.placement ? placementText(template.placement) : undefined, indent)
    .field("Restart policy", template.restartPolicy ? restartText(template.restartPolicy) : undefined, indent)
    .field("Volumes", lines((template.volumes ?? []).map(volumeText)), indent)
    .field("Configs", lines((template.configs ?? []).map(configText)), indent)
    .field("Secrets", lines((template.secrets ?? []).map(secretText)), indent);
}

function lines(items: string[]): string | undefined {
  return items.length === 0 ? undefined : items.join("\n");
}

/** The argv as a shell would need it: arguments with spaces or quotes in single quotes. */
export function commandText(command: string[]): string {
  return command
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .join(" ");
}

/** `8080/tcp (http), published on every node at 8000/tcp`. */
export function portText(port: NonNullable<PodTemplate["ports"]>[number]): string {
  const name = port.name ? ` (${port.name})` : "";
  const published =
    port.publishedPort === undefined
      ? ""
      : `, published on every node at ${port.publishedPort}/${port.protocol}`;
  return `${port.containerPort}/${port.protocol}${name}${published}`;
}

/** Variable names only (sorted), then the configs whose keys become variables. */
export function environmentText(template: PodTemplate): string | undefined {
  const parts: string[] = [];
  const names = Object.keys(template.env ?? {}).sort();
  if (names.length > 0) parts.push(`${names.join(", ")} (values not shown)`);
  for (const config of template.configs ?? []) {
    if (config.env) parts.push(`every key of config ${config.name}`);
  }
  return lines(parts);
}

function labelText(labels: Record<string, string> | undefined): string | undefined {
  const pairs = Object.entries(labels ?? {}).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? undefined : pairs.sort().join(", ");
}

function resourcesText(resources: PodTemplate["resources"]): string | undefined {
  const parts: string[] = [];
  if (resources?.cpu !== undefined) parts.push(`cpu ${formatCpu(resources.cpu)}`);
  if (resources?.memory !== undefined) parts.push(`memory ${formatMemory(resources.memory)}`);
  return parts.length === 0 ? undefined : parts.join(", ");
}

/** `http GET :8080/healthz every 5s, timeout 2s, unhealthy after 3 failures, start period 0s`. */
export function healthText(check: HealthCheck): string {
  const probe = check.http
    ? `http GET :${check.http.port}${check.http.path}`
    : check.tcp
      ? `tcp :${check.tcp.port}`
      : `exec ${commandText(check.exec ?? [])}`;
  return (
    `${probe} every ${check.intervalSeconds}s, timeout ${check.timeoutSeconds}s, ` +
    `unhealthy after ${check.retries} failures, start period ${check.startPeriodSeconds}s`
  );
}

function placementText(placement: Placement): string {
  const rules = (placement.constraints ?? []).map((rule) => {
    if (rule.operator === "exists" || rule.operator === "notexists") return `${rule.label} ${rule.operator}`;
    if (rule.operator === "in" || rule.operator === "notin")
      return `${rule.label} ${rule.operator} (${(rule.values ?? []).join(", ")})`;
    return `${rule.label}${rule.operator}${rule.value ?? ""}`;
  });
  const strategy = placement.strategy ?? "spread";
  return rules.length === 0 ? strategy : `${strategy}; ${rules.join(", ")}`;
}

function restartText(policy: RestartPolicy): string {
  return (
    `back-off ${policy.backoffInitialSeconds}s doubling to ${policy.backoffMaxSeconds}s, ` +
    `reset after ${policy.resetAfterSeconds}s running, moved to another node after ${policy.limit} crashes in a row`
  );
}

/** `data -> /data (named volume, read-only)`, `cache -> /cache (tmpfs 64Mi)`, `logs -> /logs (host /srv/logs)`. */
export function volumeText(volume: NonNullable<PodTemplate["volumes"]>[number]): string {
  const kind = volume.tmpfs
    ? `tmpfs ${formatMemory(volume.tmpfs.sizeBytes)}`
    : volume.hostPath !== undefined
      ? `host ${volume.hostPath}`
      : "named volume";
  return `${volume.name} -> ${volume.mountPath} (${kind}${volume.readOnly ? ", read-only" : ""})`;
}

function versionText(version: number | undefined): string {
  return version === undefined ? "" : `, version ${version}`;
}

/** `app -> /etc/app (files, version 2)`, `app-env (environment)`, or both. */
export function configText(config: NonNullable<PodTemplate["configs"]>[number]): string {
  const uses: string[] = [];
  if (config.mountPath !== undefined)
    uses.push(`-> ${config.mountPath} (files${versionText(config.version)})`);
  if (config.env)
    uses.push(`(environment${config.mountPath === undefined ? versionText(config.version) : ""})`);
  return `${config.name} ${uses.join(" ")}`;
}

/** `db-password -> /run/secrets/db-password (files on tmpfs, version 1)`: where, never what. */
export function secretText(secret: NonNullable<PodTemplate["secrets"]>[number]): string {
  const path = secret.mountPath ?? `${SECRETS_MOUNT_ROOT}/${secret.name}`;
  return `${secret.name} -> ${path} (files on tmpfs${versionText(secret.version)})`;
}
