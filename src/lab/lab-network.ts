// The lab's wiring: a bridge inside a namespace of its own (the hub), the root namespace's interface on it, and
// each host's namespace with one interface on it. The hub keeps the bridge out of the root namespace, where the
// machine's own firewall (Docker's FORWARD policy, with br_netfilter) would see, and drop, the hosts' traffic.
import { hostAddress, labNames, netnsPath, rootAddress } from "./lab-plan.js";
import { ip, run } from "./lab-system.js";

const PREFIX_LENGTH = 24;

/** The hub namespace, its bridge, and the root namespace's address on it. */
export async function createLabBridge(name: string, subnet: string): Promise<void> {
  const names = labNames(name);
  await ip("netns", "add", names.hub);
  await ip("-n", names.hub, "link", "add", "br0", "type", "bridge");
  await ip("-n", names.hub, "link", "set", "br0", "up");
  // A switch, not a firewall: frames crossing the hub's bridge skip netfilter (and its connection tracking),
  // which br_netfilter, once loaded (Docker loads it), turns on in every new namespace.
  await run("nsenter", [
    `--net=${netnsPath(names.hub)}`,
    "sh",
    "-c",
    'for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ ! -e "$f" ] || echo 0 >"$f"; done',
  ]);
  await ip("link", "add", names.rootLink, "type", "veth", "peer", "name", "root", "netns", names.hub);
  await ip("-n", names.hub, "link", "set", "root", "master", "br0", "up");
  await ip("addr", "add", `${rootAddress(subnet)}/${PREFIX_LENGTH}`, "dev", names.rootLink);
  await ip("link", "set", names.rootLink, "up");
}

/** Host `index`'s namespace, with `eth0` on the bridge at its address. Returns the namespace's name. */
export async function createHostNamespace(name: string, subnet: string, index: number): Promise<string> {
  const names = labNames(name);
  const netns = names.host(index);
  await ip("netns", "add", netns);
  // Both ends are made where they belong: nothing of the host appears in the root namespace, even for a moment.
  await ip(
    "link",
    "add",
    "eth0",
    "netns",
    netns,
    "type",
    "veth",
    "peer",
    "name",
    `h${index}`,
    "netns",
    names.hub,
  );
  await ip("-n", names.hub, "link", "set", `h${index}`, "master", "br0", "up");
  await ip("-n", netns, "addr", "add", `${hostAddress(subnet, index)}/${PREFIX_LENGTH}`, "dev", "eth0");
  await ip("-n", netns, "link", "set", "eth0", "up");
  await ip("-n", netns, "link", "set", "lo", "up");
  return netns;
}

/** A namespace with nothing but loopback (an engine that needs no network, e.g. one a test stops). */
export async function createIsolatedNamespace(netns: string): Promise<void> {
  await ip("netns", "add", netns);
  await run("ip", ["-n", netns, "link", "set", "lo", "up"]);
}
