// Reads the API token: `--token-file FILE` first, then the ORCHESTRA_TOKEN environment variable.
import { readFileSync } from "node:fs";
import { ValidationError } from "../core/errors.js";
import { checkToken } from "../core/token.js";

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
    checkToken(token, "token-file");
    return token;
  }
  const fromEnv = env.ORCHESTRA_TOKEN?.trim();
  if (!fromEnv) return undefined;
  checkToken(fromEnv, "ORCHESTRA_TOKEN");
  return fromEnv;
}
