// Reading dockerode's errors: the HTTP status and the engine's own message, without the modem's prefix.

/** The Engine API's HTTP status of a failed call, when the failure came from the engine. */
export function dockerStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** The engine's message (`No such image: x`), else the error's own message. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: unknown } | null)?.json;
  if (json && typeof json === "object" && typeof (json as { message?: unknown }).message === "string") {
    return (json as { message: string }).message.trim();
  }
  if (typeof json === "string" && json.trim() !== "") return json.trim();
  // The modem's own prefix, e.g. `(HTTP code 500) server error - `, says nothing the status does not.
  return (err instanceof Error ? err.message : String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
}

/** True for a status the caller treats as "already so" (missing container, already stopped, ...). */
export function isStatus(err: unknown, ...statuses: number[]): boolean {
  const status = dockerStatus(err);
  return status !== undefined && statuses.includes(status);
}

/** Failures that may pass by themselves: time-outs, overload, dropped connections, a registry's 5xx. */
const TRANSIENT =
  /time-?out|timed out|deadline exceeded|temporar|try again|too many requests|connection reset|broken pipe|\bEOF\b|status:? 5\d\d|\b50[0-4] [A-Z]|unavailable|bad gateway/i;
/** Pull answers that will not change soon: no such image or name, access denied, registry unresolvable or refusing. */
const PULL_REFUSED =
  /not found|manifest unknown|name unknown|no such host|denied|unauthorized|invalid reference|does not exist|connection refused/i;

/** Whether a failed pull's message says it will fail again (see PULL_REFUSED), rather than that it may pass. */
export function isDefinitivePullFailure(message: string): boolean {
  return PULL_REFUSED.test(message) && !TRANSIENT.test(message);
}

/** Whether the engine answered a refusal (a status and a message that is not a transient cause). */
export function isEngineRefusal(err: unknown): boolean {
  return dockerStatus(err) !== undefined && !TRANSIENT.test(dockerMessage(err));
}
