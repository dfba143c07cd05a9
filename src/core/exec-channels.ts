// The framing of `exec` over a WebSocket, as Kubernetes' `v5.channel.k8s.io`: every binary message starts with
// one byte naming its channel. Client to server: stdin (0), a terminal resize (4, JSON `{"Width","Height"}`)
// and close (255, then the channel closed: 0 is end of input). Server to client: stdout (1), stderr (2), and
// once at the end the status (3, JSON): `{"status":"Success"}` or a Failure with the exit code as the cause.
// Used by the node endpoint, the API server (which relays messages as they are) and the CLI.

export const EXEC_PROTOCOL = "v5.channel.k8s.io";

/** An exec request's query, as kubectl sends it: one `command` per argument, `stdin` and `tty` when asked. */
export function execQuery(argv: string[], options: { stdin?: boolean; tty?: boolean }): URLSearchParams {
  const query = new URLSearchParams(argv.map((arg) => ["command", arg]));
  if (options.stdin) query.set("stdin", "true");
  if (options.tty) query.set("tty", "true");
  return query;
}

export const CHANNEL = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  status: 3,
  resize: 4,
  close: 255,
} as const;

/** What the status channel carries: Kubernetes' metav1.Status, as much of it as exec uses. */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: "NonZeroExitCode" | "InternalError";
  details?: { causes: { reason: "ExitCode"; message: string }[] };
}

export function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === "string" ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), payload]);
}

/** Splits a message into its channel and payload; undefined for an empty message. */
export function unframe(message: Buffer): { channel: number; data: Buffer } | undefined {
  if (message.length === 0) return undefined;
  return { channel: message[0] as number, data: message.subarray(1) };
}

export function resizeFrame(size: { cols: number; rows: number }): Buffer {
  return frame(CHANNEL.resize, JSON.stringify({ Width: size.cols, Height: size.rows }));
}

/** The size a resize message asks for; undefined when it is not one (bad JSON, not positive whole numbers). */
export function parseResize(data: Buffer): { cols: number; rows: number } | undefined {
  try {
    const { Width, Height } = JSON.parse(data.toString("utf8")) as { Width?: unknown; Height?: unknown };
    const valid = (n: unknown): n is number =>
      Number.isInteger(n) && (n as number) > 0 && (n as number) < 65536;
    return valid(Width) && valid(Height) ? { cols: Width, rows: Height } : undefined;
  } catch {
    return undefined;
  }
}

/** End of input: the close message for the stdin channel. */
export const END_OF_INPUT = frame(CHANNEL.close, Buffer.from([CHANNEL.stdin]));

/** The status for a command that ended with `exitCode`, or for one that could not run (`error`). */
export function exitStatus(exitCode: number | undefined, error?: string): ExecStatus {
  if (exitCode === 0) return { metadata: {}, status: "Success" };
  if (exitCode === undefined) {
    return {
      metadata: {},
      status: "Failure",
      reason: "InternalError",
      message: error ?? "the exit code is unknown",
    };
  }
  return {
    metadata: {},
    status: "Failure",
    reason: "NonZeroExitCode",
    message: `command terminated with non-zero exit code: ${exitCode}`,
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  };
}

/** The exit code a status stands for: 0 on success, the code on NonZeroExitCode, undefined otherwise. */
export function exitCodeOf(status: ExecStatus): number | undefined {
  if (status.status === "Success") return 0;
  const cause = status.details?.causes.find((c) => c.reason === "ExitCode");
  const code = cause ? Number(cause.message) : Number.NaN;
  return Number.isInteger(code) ? code : undefined;
}
