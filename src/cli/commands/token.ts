// `orchestra token create|list|revoke`: API tokens with roles. `create` prints the token alone on stdout, the
// only time it is shown (the server keeps a hash), so `T=$(orchestra token create --role viewer)` works.
import { type Command, Option } from "commander";
import { TOKEN_ROLES, type TokenRole } from "../../core/api-token.js";
import type { TokenInfoView } from "../api-client.js";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";
import { formatAge } from "../output/age.js";
import { formatTable } from "../output/table.js";
import { parseDuration } from "./rollout.js";

export function registerToken(program: Command, io: CliIo): void {
  const token = program
    .command("token")
    .description("API tokens with roles: viewer, deployer, admin, and node (join tokens for workers)");

  token
    .command("create")
    .description("make a token; prints it alone on stdout, once (only its hash is kept)")
    .addOption(new Option("--role <role>", "what it may do").choices([...TOKEN_ROLES]).makeOptionMandatory())
    .option("--ttl <duration>", "expire after this long, e.g. 30m, 24h (default: until revoked)")
    .option("--description <text>", "a note shown by token list (at most 200 characters)")
    .action(async (flags: { role: TokenRole; ttl?: string; description?: string }, self: Command) => {
      let ttlSeconds: number | undefined;
      if (flags.ttl !== undefined) {
        ttlSeconds = Math.ceil(parseDuration(flags.ttl, "--ttl") / 1000);
        if (ttlSeconds < 1) throw new CliError(`--ttl: must be at least 1s, got "${flags.ttl}"`);
      }
      const created = await apiClientFor(self, io).createToken({
        role: flags.role,
        ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
        ...(flags.description === undefined ? {} : { description: flags.description }),
      });
      io.out(`${created.token}\n`);
      const expiry = created.expiresAt ? `, expires ${created.expiresAt}` : "";
      io.err(`token ${created.id} created (role ${created.role}${expiry}); it is not shown again\n`);
    });

  token
    .command("list")
    .description("list tokens: id, role, age, expiry (never their secrets)")
    .action(async (_flags: unknown, self: Command) => {
      const tokens = await apiClientFor(self, io).listTokens();
      io.out(tokenTable(tokens, io.now()));
    });

  token
    .command("revoke")
    .description("revoke a token: it is refused (401) from now on")
    .argument("<id>", "the token's id (token list; the part after orc_)")
    .action(async (id: string, _flags: unknown, self: Command) => {
      const revoked = await apiClientFor(self, io).revokeToken(id);
      io.out(`token ${revoked.id} revoked\n`);
    });
}

export function tokenTable(tokens: TokenInfoView[], now: number): string {
  return formatTable({
    headers: ["ID", "ROLE", "AGE", "EXPIRES", "DESCRIPTION"],
    rows: tokens.map((token) => [
      token.id,
      token.role,
      formatAge(token.createdAt, now),
      token.expiresAt === undefined
        ? "never"
        : token.expired
          ? "expired"
          : `in ${formatIn(token.expiresAt, now)}`,
      token.description ?? "",
    ]),
  });
}

/** How long until `time`, in formatAge's units. */
function formatIn(time: string, now: number): string {
  return formatAge(now, Date.parse(time));
}
