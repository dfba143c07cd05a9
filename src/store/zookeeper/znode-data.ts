// How a store value is kept in a znode: JSON text, within ZooKeeper's size limit.
import { ValidationError } from "../../core/errors.js";

/** ZooKeeper refuses packets over 1 MB (jute.maxbuffer); keep a margin for the request around the value. */
export const MAX_VALUE_BYTES = 1_000_000;

/** Parents made for a key hold JSON null (as in the embedded store). */
export const NULL_DATA = Buffer.from("null");

export function encode(value: unknown): Buffer {
  const text = JSON.stringify(value);
  if (text === undefined) throw new ValidationError("value", "must be a JSON value");
  const data = Buffer.from(text);
  if (data.length > MAX_VALUE_BYTES) {
    throw new ValidationError("value", `is ${data.length} bytes; ZooKeeper holds at most ${MAX_VALUE_BYTES}`);
  }
  return data;
}

/** A znode without data (made by another tool) reads as null, like a parent made by the store. */
export function decode(data: Buffer): unknown {
  return data.length === 0 ? null : JSON.parse(data.toString("utf8"));
}
