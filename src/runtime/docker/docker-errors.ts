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
  return err instanceof Error ? err.message : String(err);
}

/** True for a status the caller treats as "already so" (missing container, already stopped, ...). */
export function isStatus(err: unknown, ...statuses: number[]): boolean {
  const status = dockerStatus(err);
  return status !== undefined && statuses.includes(status);
}
