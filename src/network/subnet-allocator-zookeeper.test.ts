// The subnet allocation on a real ZooKeeper server: two clients with sessions of their own race for subnets.
import { after } from "node:test";
import { startZooKeeper } from "../../test/support/zookeeper-server.js";
import { createZooKeeperHarness } from "../store/zookeeper/testing/zookeeper-test-harness.js";
import { subnetAllocatorSuite } from "./testing/subnet-allocator-suite.js";

const server = await startZooKeeper();
after(() => server.stop());

subnetAllocatorSuite("ZooKeeper", async () => ({
  async open() {
    const harness = createZooKeeperHarness(server);
    const first = await harness.connect();
    const second = await harness.connect();
    return { first, second, close: () => harness.teardown() };
  },
}));
