// Errors a ContainerRuntime throws, typed so the worker can turn them into pod messages.
import { ConflictError, OrchestraError, UnavailableError } from "../core/errors.js";

/**
 * The image is not on the engine and pulling it failed (no registry, unknown name, ...). `definitive`: the answer
 * will not change soon (not found, denied, registry unresolvable or refusing), as opposed to a time-out or a 5xx.
 */
export class ImageNotFoundError extends OrchestraError {
  override name = "ImageNotFoundError";
  constructor(
    readonly image: string,
    reason: string,
    readonly definitive = true,
  ) {
    super(`image "${image}" not found locally and could not be pulled: ${reason}`);
  }
}

/**
 * The engine refused to create the container (`step` create: bad settings) or to start it (`step` start: command
 * not found, bad limits, ...). `definitive`: the engine answered a refusal, rather than timing out or dropping.
 */
export class ContainerStartError extends OrchestraError {
  override name = "ContainerStartError";
  constructor(
    readonly container: string,
    reason: string,
    readonly step: "create" | "start" = "start",
    readonly definitive = true,
  ) {
    super(`container "${container}" could not start: ${reason}`);
  }
}

/** A running container already holds the name. */
export class ContainerExistsError extends ConflictError {
  override name = "ContainerExistsError";
  constructor(readonly container: string) {
    super(`container "${container}" already exists and is running`);
  }
}

/** The exec'd command did not finish in time; it may still be running inside the container. */
export class ExecTimeoutError extends UnavailableError {
  override name = "ExecTimeoutError";
  constructor(
    readonly container: string,
    readonly timeoutMs: number,
  ) {
    super(`exec in container "${container}" did not finish within ${timeoutMs} ms`);
  }
}
