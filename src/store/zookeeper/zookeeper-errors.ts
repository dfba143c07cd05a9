// ZooKeeper's error codes as Orchestra's errors, each naming the key it is about.
import { Exception } from "node-zookeeper-client";
import { ConflictError, NotFoundError, UnavailableError } from "../../core/errors.js";
import { parentOf } from "../store.js";
import { isConnectionCode, zkCode } from "./client-calls.js";

/** Maps a ZooKeeper error (or `{ code }`) about `key` to Orchestra's errors; our own errors pass through. */
export function storeError(error: unknown, key: string, version?: number): Error {
  if (error instanceof Error && !(error instanceof Exception)) return error;
  const code = zkCode(error);
  switch (code) {
    case Exception.NODE_EXISTS:
      return new ConflictError(`${key} already exists`);
    case Exception.BAD_VERSION:
      return new ConflictError(
        version === undefined ? `${key} was changed concurrently` : `${key} is not at version ${version}`,
      );
    case Exception.NO_NODE:
      return new NotFoundError(`${key} not found`);
    case Exception.NOT_EMPTY:
      return new ConflictError(`${key} has child keys`);
    case Exception.NO_AUTH:
      return new UnavailableError(
        `ZooKeeper refused access to ${key} (NoAuth): its ACL admits another identity; check --zk-auth-file`,
      );
    case Exception.NO_CHILDREN_FOR_EPHEMERALS:
      return new ConflictError(`${parentOf(key)} is ephemeral and cannot hold ${key}`);
    default:
      if (isConnectionCode(code)) return new UnavailableError(`ZooKeeper connection lost (${key})`);
      return new UnavailableError(`ZooKeeper error ${code ?? ""} on ${key}: ${String(error)}`);
  }
}
