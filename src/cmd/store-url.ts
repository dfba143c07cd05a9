// Parses the `--store` option: `embedded:DIR` or `zk://host:port[,host:port...][/root]`.
import { ValidationError } from "../core/errors.js";

export type StoreLocation =
  | { kind: "embedded"; dir: string }
  | { kind: "zookeeper"; connectString: string; root: string };

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;
const ROOT = /^(\/[A-Za-z0-9._-]+)+$/;

export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith("embedded:")) {
    const dir = url.slice("embedded:".length);
    if (dir === "") throw new ValidationError("store", "embedded: needs a directory, e.g. embedded:/var/lib/orchestra");
    return { kind: "embedded", dir };
  }
  if (url.startsWith("zk://")) {
    const rest = url.slice("zk://".length);
    const slash = rest.indexOf("/");
    const hosts = slash === -1 ? rest : rest.slice(0, slash);
    const root = slash === -1 ? "/orchestra" : rest.slice(slash);
    const servers = hosts.split(",");
    for (const server of servers) {
      const match = HOST_PORT.exec(server);
      if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
        throw new ValidationError("store", `"${server}" is not host:port in ${url}`);
      }
    }
    if (!ROOT.test(root)) throw new ValidationError("store", `root path "${root}" is not a valid ZooKeeper path`);
    return { kind: "zookeeper", connectString: servers.join(","), root };
  }
  throw new ValidationError("store", `"${url}" is neither embedded:DIR nor zk://host:port[,host:port...][/root]`);
}
