import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CHANNEL,
  END_OF_INPUT,
  exitCodeOf,
  exitStatus,
  frame,
  parseResize,
  resizeFrame,
  unframe,
} from "./exec-channels.js";

describe("exec channels", () => {
  test("a message is its channel's byte, then the payload", () => {
    assert.deepEqual([...frame(CHANNEL.stdout, "hi")], [1, 0x68, 0x69]);
    assert.deepEqual(unframe(frame(CHANNEL.stderr, Buffer.from("x"))), {
      channel: 2,
      data: Buffer.from("x"),
    });
    assert.equal(unframe(Buffer.alloc(0)), undefined);
    assert.deepEqual([...END_OF_INPUT], [255, 0]);
  });

  test("a resize carries Width and Height; anything else is no resize", () => {
    const message = unframe(resizeFrame({ cols: 120, rows: 40 }));
    assert.equal(message?.channel, CHANNEL.resize);
    assert.equal(message?.data.toString(), '{"Width":120,"Height":40}');
    assert.deepEqual(parseResize(message?.data ?? Buffer.alloc(0)), { cols: 120, rows: 40 });
    for (const bad of ["", "{", '{"Width":0,"Height":5}', '{"Width":"80","Height":24}', "[]"]) {
      assert.equal(parseResize(Buffer.from(bad)), undefined, bad);
    }
  });

  test("the status says success, or the exit code as Kubernetes does, and gives it back", () => {
    assert.deepEqual(exitStatus(0), { metadata: {}, status: "Success" });
    const seven = exitStatus(7);
    assert.equal(seven.reason, "NonZeroExitCode");
    assert.equal(seven.message, "command terminated with non-zero exit code: 7");
    assert.equal(exitCodeOf(seven), 7);
    assert.equal(exitCodeOf(exitStatus(0)), 0);
    const unknown = exitStatus(undefined, "the container stopped");
    assert.equal(unknown.reason, "InternalError");
    assert.equal(exitCodeOf(unknown), undefined);
  });
});
