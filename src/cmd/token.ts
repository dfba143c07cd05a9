// Reads the API token: `--token-file FILE` first, then the ORCHESTRA_TOKEN environment variable.
import { readFileSync } from "node:fs";
import { ValidationError } from "../core/errors.js";

export function readToken(
  tokenFile: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  if (tokenFile !== undefined) {
    let token: string;
    try {
      token = readFileSync(tokenFile, "utf8").trim();
    } catch (err) {
      throw new ValidationError(
        "token-file",
        `cannot read ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
    if (token === "") throw new ValidationError("token-file", `${tokenFile} is empty`);
    return token;
  }
  const fromEnv = env.ORCHESTRA_TOKEN?.trim();
  return fromEnv ? fromEnv : undefined;
}
