// Removing a container, and what to do when the engine refuses: a stopped container Docker cannot delete (a busy
// mount after an engine restart, a layer file it cannot unlink) is renamed out of the way, so its name is free again.
import type Docker from "dockerode";
import type { Logger } from "../../core/logger.js";
import { dockerMessage, isStatus } from "./docker-errors.js";

/** Marks a container moved aside; what precedes it is the name the container had. */
const STALE_MARK = ".stale-";

/** `<name>.stale-<short id>`: unique (the id), and still tells whose container it was. */
export function staleName(name: string, id: string): string {
  return `${name}${STALE_MARK}${id.slice(0, 12)}`;
}

export function isStaleName(name: string): boolean {
  return name.includes(STALE_MARK);
}

/**
 * Removes the container, killing it when running; a missing one is fine. When the engine refuses to remove a
 * container that is not running, the name is freed instead: the container is renamed `<name>.stale-<short id>`
 * with its labels kept, so a listing by label still shows it (stopped, never running: it has no restart policy
 * and nothing starts a container by that name) and the next removal of it, e.g. the worker's sweep, tries again.
 * Resolves `left-aside` then (the container is still there), else `removed` (or it was missing). Throws only when a
 * running container cannot be removed, or a refused one cannot be renamed either.
 */
export async function removeDockerContainer(
  docker: Docker,
  id: string,
  log: Logger,
): Promise<"removed" | "left-aside"> {
  let refusal: unknown;
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
    return "removed";
  } catch (err) {
    if (isStatus(err, 404)) return "removed";
    refusal = err;
  }
  const failed = (more = "") =>
    new Error(`cannot remove container "${id}": ${dockerMessage(refusal)}${more}`);
  let seen: Docker.ContainerInspectInfo;
  try {
    seen = await docker.getContainer(id).inspect();
  } catch (err) {
    if (isStatus(err, 404)) return "removed"; // a removal that was in progress has finished
    throw failed();
  }
  if (seen.State.Running) {
    // 409: a removal (with its kill) is already under way; it is the caller's wish, so as before that is done.
    if (isStatus(refusal, 409)) return "removed";
    throw failed();
  }
  const name = seen.Name.replace(/^\//, "");
  if (isStaleName(name)) {
    log.debug(
      { container: name, reason: dockerMessage(refusal) },
      "the engine still refuses to remove a stale container",
    );
    return "left-aside";
  }
  const aside = staleName(name, seen.Id);
  try {
    await docker.getContainer(seen.Id).rename({ name: aside });
  } catch (err) {
    if (isStatus(err, 404)) return "removed";
    // 409 on the removal: the engine is removing it already; the next removal looks again, as it always did.
    if (isStatus(refusal, 409)) return "removed";
    throw failed(`; renaming it out of the way failed too: ${dockerMessage(err)}`);
  }
  log.warn(
    { container: name, renamed: aside, state: seen.State.Status, reason: dockerMessage(refusal) },
    "the engine refused to remove a stopped container: renamed it out of the way; its removal is retried later",
  );
  return "left-aside";
}
