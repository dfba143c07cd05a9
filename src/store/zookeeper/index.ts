// The ZooKeeper store, for distributed mode.
export { openZooKeeperStore, ZooKeeperStore, type ZooKeeperStoreOptions } from "./zookeeper-store.js";
export { parseZooKeeperUrl, type ZooKeeperLocation } from "./zookeeper-url.js";
