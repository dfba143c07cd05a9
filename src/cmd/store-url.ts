// Parses the `--store` option: `embedded:DIR` or `zk://host:port[,host:port...][/root]`.
import { ValidationError } from "../core/errors.js";
import { parseZooKeeperUrl } from "../store/zookeeper/zookeeper-url.js";

export type StoreLocation =
  | { kind: "embedded"; dir: string }
  | { kind: "zookeeper"; connectString: string; root: string };

export const DEFAULT_ZOOKEEPER_ROOT = "/orchestra";

export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith("embedded:")) {
    const dir = url.slice("embedded:".length);
    if (dir === "")
      throw new ValidationError("store", "embedded: needs a directory, e.g. embedded:/var/lib/orchestra");
    return { kind: "embedded", dir };
  }
  if (url.startsWith("zk://")) {
    const location = parseZooKeeperUrl(url, "store");
    return {
      kind: "zookeeper",
      connectString: location.connectString,
      root: location.root ?? DEFAULT_ZOOKEEPER_ROOT,
    };
  }
  throw new ValidationError(
    "store",
    `"${url}" is neither embedded:DIR nor zk://host:port[,host:port...][/root]`,
  );
}
