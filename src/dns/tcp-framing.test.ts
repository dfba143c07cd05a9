import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { frame, LengthPrefixedReader } from "./tcp-framing.js";

test("messages come out whole and in order however the stream is cut", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }),
      (messages, cuts) => {
        const stream = Buffer.concat(messages.map((message) => frame(Buffer.from(message))));
        const reader = new LengthPrefixedReader();
        const out: Buffer[] = [];
        let at = 0;
        let i = 0;
        while (at < stream.length) {
          const size = cuts[i++ % cuts.length] as number;
          out.push(...reader.push(stream.subarray(at, at + size)));
          at += size;
        }
        assert.deepEqual(
          out.map((message) => message.toString("hex")),
          messages.map((message) => Buffer.from(message).toString("hex")),
        );
        assert.equal(reader.pendingBytes, 0);
      },
    ),
  );
});

test("an incomplete message waits for the rest", () => {
  const reader = new LengthPrefixedReader();
  assert.deepEqual(reader.push(Buffer.from([0])), []);
  assert.deepEqual(reader.push(Buffer.from([3, 1])), []);
  assert.equal(reader.pendingBytes, 3);
  assert.deepEqual(reader.push(Buffer.from([2, 3, 0, 0])), [Buffer.from([1, 2, 3]), Buffer.alloc(0)]);
});
