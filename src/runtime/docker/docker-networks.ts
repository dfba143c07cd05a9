// Orchestra's bridge networks on a Docker engine. The engine does not stop two clients that race to create
// the same name (CheckDuplicate is best effort), so every racer settles on the oldest and drops its own. A
// racer's create may be dated before another's yet listed after it: each racer lists until two listings a
// moment apart agree, so that all see the same networks when they choose.
import type Docker from "dockerode";
import { ConflictError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { subnetAddress } from "../ipv4.js";
import { MANAGED_LABELS } from "../labels.js";
import type { NetworkInfo, NetworkSpec } from "../runtime.js";
import { dockerMessage, isStatus } from "./docker-errors.js";

/** The bridge driver's option for the masquerade of traffic leaving the network (on unless set to "false"). */
const MASQUERADE_OPTION = "com.docker.network.bridge.enable_ip_masquerade";

export async function ensureDockerNetwork(
  docker: Docker,
  spec: NetworkSpec,
  log: Logger,
): Promise<NetworkInfo> {
  const existing = (await findNetworks(docker, spec.name))[0];
  if (existing) {
    const info = toNetworkInfo(existing);
    if (spec.subnet && info.subnet !== spec.subnet) {
      log.warn(
        { network: spec.name, subnet: info.subnet, wanted: spec.subnet },
        "keeping the existing network",
      );
    }
    return info;
  }
  let createdId: string | undefined;
  try {
    const created = await docker.createNetwork({
      Name: spec.name,
      Driver: "bridge",
      CheckDuplicate: true,
      Labels: { ...MANAGED_LABELS },
      ...(spec.masquerade === false ? { Options: { [MASQUERADE_OPTION]: "false" } } : {}),
      ...(spec.subnet
        ? {
            IPAM: {
              Driver: "default",
              Config: [{ Subnet: spec.subnet, ...(spec.gateway ? { Gateway: spec.gateway } : {}) }],
            },
          }
        : {}),
    });
    createdId = created.id;
    log.info(
      { network: spec.name, subnet: spec.subnet, masquerade: spec.masquerade !== false },
      "created network",
    );
  } catch (err) {
    // 409: another client created it first; theirs is found below.
    if (!isStatus(err, 409)) throw new Error(`cannot create network "${spec.name}": ${dockerMessage(err)}`);
  }
  const [keeper, ...duplicates] = await settledNetworks(docker, spec.name);
  if (!keeper) throw new Error(`network "${spec.name}" vanished right after it was created`);
  for (const duplicate of duplicates) {
    // Each racer removes only the duplicate it made; every racer picks the same keeper, so none is in use.
    if (duplicate.Id === createdId) await removeById(docker, duplicate.Id);
  }
  return toNetworkInfo(keeper);
}

/** How long two listings must agree, and how many times to look, before a racer chooses. */
const SETTLE_MS = 250;
const SETTLE_TRIES = 20;

/** The networks named `name` once two listings SETTLE_MS apart agree (or after SETTLE_TRIES looks). */
async function settledNetworks(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo[]> {
  let seen = await findNetworks(docker, name);
  for (let tries = 1; tries < SETTLE_TRIES; tries++) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const now = await findNetworks(docker, name);
    if (now.map((n) => n.Id).join() === seen.map((n) => n.Id).join()) return now;
    seen = now;
  }
  return seen;
}

/** Removes every network of that name; a missing one is fine. */
export async function removeDockerNetwork(docker: Docker, name: string): Promise<void> {
  for (const network of await findNetworks(docker, name)) await removeById(docker, network.Id);
}

/** The networks named exactly `name`, oldest first (ties broken by id, so every client agrees). */
async function findNetworks(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo[]> {
  // The engine's name filter matches substrings.
  const candidates = await docker.listNetworks({ filters: { name: [name] } });
  return candidates
    .filter((network) => network.Name === name)
    .sort((a, b) => {
      const byAge = createdNanos(a.Created) - createdNanos(b.Created);
      return byAge < 0n ? -1 : byAge > 0n ? 1 : a.Id.localeCompare(b.Id);
    });
}

async function removeById(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getNetwork(id).remove();
  } catch (err) {
    if (!isStatus(err, 404))
      throw new Error(`cannot remove network ${id.slice(0, 12)}: ${dockerMessage(err)}`);
  }
}

function toNetworkInfo(network: Docker.NetworkInspectInfo): NetworkInfo {
  const ipv4 = network.IPAM?.Config?.find((config) => config.Subnet?.includes("."));
  if (!ipv4?.Subnet) throw new ConflictError(`network "${network.Name}" exists but has no IPv4 subnet`);
  return { name: network.Name, subnet: ipv4.Subnet, gateway: ipv4.Gateway ?? subnetAddress(ipv4.Subnet, 1) };
}

/** The engine's RFC 3339 timestamps carry nanoseconds, which Date would drop; racers differ by less. */
function createdNanos(created: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(created);
  if (!match) return 0n;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return 0n;
  const fraction = BigInt((match[2] ?? "").padEnd(9, "0").slice(0, 9));
  return BigInt(seconds) * 1_000_000n + fraction;
}
