// The patched autocannon (patches/autocannon+9.0.0.patch) against a server that closes every connection after
// its answer, as the demo image's busybox httpd does (bench:ports). Unpatched, autocannon wrote the next
// request on the closing connection: it stayed in the queue unanswered, about half of the requests sent got no
// answer, and every later answer was timed from an older request. Patched, each request goes on a new
// connection and gets its answer.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { runHttpLoad } from "../../bench/http-load.js";

const CONNECTIONS = 4;
let server: Server;
let connections = 0;
let port = 0;

before(async () => {
  server = createServer((_request, response) => {
    response.writeHead(200, { connection: "close", "content-type": "text/plain" });
    response.end("hello\n");
  });
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test("against Connection: close, every request gets its answer on a connection of its own", async () => {
  const result = await runHttpLoad({
    url: `http://127.0.0.1:${port}/`,
    connections: CONNECTIONS,
    seconds: 1,
  });
  assert.ok(result.ok > 20, `only ${result.ok} answers in 1 s`);
  assert.equal(result.failed, 0);
  // Only the requests in flight when the run stopped may lack an answer: at most one per connection.
  assert.ok(
    result.sent - result.ok <= CONNECTIONS,
    `${result.sent} requests sent, ${result.ok} answered: requests were left unanswered on closed connections`,
  );
  assert.ok(connections >= result.ok, `${result.ok} answers over only ${connections} connections`);
});
