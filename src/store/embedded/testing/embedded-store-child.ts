// Test fixture for embedded-store.test.ts: a separate process that uses a data directory, so the tests can
// kill -9 it. `burst DIR COUNT` prints each key once its write is acknowledged; `hold DIR` keeps the directory
// open with an ephemeral and a persistent key and prints "ready". Either exits when its stdin closes.
import { EmbeddedBackend } from "../embedded-backend.js";

const [mode, dir, countText] = process.argv.slice(2);
if (!dir || (mode !== "burst" && mode !== "hold")) {
  process.stderr.write("usage: embedded-store-child.js burst DIR COUNT | hold DIR\n");
  process.exit(2);
}

// Never outlive the test that started us, even if it dies before killing us.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();

const backend = EmbeddedBackend.open(dir);
const store = backend.connect();

if (mode === "hold") {
  await store.create("/held/ephemeral", { pid: process.pid }, { ephemeral: true });
  await store.set("/held/persistent", { pid: process.pid });
  await store.campaign("held", "child", { elected: () => {}, deposed: () => {} });
  process.stdout.write("ready\n");
} else {
  const count = Number(countText ?? "1000");
  for (let i = 0; i < count; i++) {
    const key = `/burst/k${String(i).padStart(6, "0")}`;
    await store.set(key, { i });
    // Pipes are written synchronously on Linux: once this returns, the line is the parent's to read.
    process.stdout.write(`${key}\n`);
  }
  process.stdout.write("done\n");
}
