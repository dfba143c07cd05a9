import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { assertFullCidrRefused, subnetAllocatorSuite } from "./testing/subnet-allocator-suite.js";

function openEmbedded() {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-subnets-"));
  const backend = EmbeddedBackend.open(dir);
  const first = backend.connect();
  const second = backend.connect();
  return {
    first,
    second,
    async close() {
      await first.close();
      await second.close();
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

subnetAllocatorSuite("embedded", async () => ({ open: async () => openEmbedded() }));

test("a full pod CIDR is refused with a clear error", async () => {
  const { first, close } = openEmbedded();
  try {
    await assertFullCidrRefused(first);
  } finally {
    await close();
  }
});
