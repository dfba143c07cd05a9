// An error the CLI reports as one `error: <message>` line on stderr, with a non-zero exit code.

export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** An error answer from the API server; `status` is the HTTP status, `code` its `error` field. */
export class ApiError extends CliError {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Ends the CLI with `exitCode` and prints nothing more: the exit code of a command run by `exec`. */
export class ExitStatus extends CliError {
  override name = "ExitStatus";
}
