// Reads the `--store zk://host:port[,host:port...][/root]` form that names a ZooKeeper ensemble and root.
import { ValidationError } from "../../core/errors.js";
import { assertKey } from "../store.js";

export interface ZooKeeperLocation {
  connectString: string;
  /** The root path, when the URL names one. */
  root?: string;
}

/** A host name or IPv4 address and a port (the client cannot parse IPv6 addresses). */
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** `zk://a:2181,b:2181/orchestra` → `{ connectString: "a:2181,b:2181", root: "/orchestra" }`. */
export function parseZooKeeperUrl(url: string, field = "store"): ZooKeeperLocation {
  const match = /^zk:\/\/([^/]+)(\/.*)?$/.exec(url);
  if (!match?.[1])
    throw new ValidationError(field, `expected zk://host:port[,host:port...][/root], got ${url}`);
  const hosts = match[1].split(",");
  for (const host of hosts) {
    if (!HOST_PORT.test(host)) throw new ValidationError(field, `${host} is not host:port`);
    const port = Number(host.slice(host.lastIndexOf(":") + 1));
    if (port < 1 || port > 65535)
      throw new ValidationError(field, `port ${port} of ${host} is not from 1 to 65535`);
  }
  const root = match[2] && match[2] !== "/" ? match[2].replace(/\/+$/, "") : undefined;
  if (root !== undefined) {
    try {
      assertKey(root);
    } catch {
      throw new ValidationError(field, `${root} is not a valid ZooKeeper root path`);
    }
  }
  return root === undefined ? { connectString: hosts.join(",") } : { connectString: hosts.join(","), root };
}
