// Schemas of API tokens (`/tokens/<id>`, POST/GET/DELETE /tokens) and of a worker's join (POST /join).
// A token's secret is never stored nor served after its creation: the store keeps its SHA-256 only.
import Type from "typebox";
import { atMostCharacters, closed, NO_NUL_OR_LINE_BREAK, timestamp } from "./common.js";

/** At most this many tokens (expired ones count until revoked): each is read on every request it makes. */
export const MAX_TOKENS = 1000;
/** The longest description a token may carry. */
export const MAX_TOKEN_DESCRIPTION = 200;
/** The longest time to live: 10 years; without one a token lasts until it is revoked. */
export const MAX_TOKEN_TTL_SECONDS = 10 * 365 * 24 * 3600;

export const TokenRole = Type.Enum(["admin", "deployer", "viewer", "node"], {
  description:
    "viewer reads; deployer also writes deployments, configs, rollbacks; admin may do everything; node may only join workers (POST /join).",
});

/** A token's id: 16 lowercase hex digits, the middle part of `orc_<id>_<secret>`. */
export const TokenId = Type.String({
  pattern: "^[0-9a-f]{16}$",
  errorMessage: "must be a token id: 16 of 0-9 and a-f",
});

export const TokenIdParams = closed({ id: TokenId });

export const TokenCreate = closed(
  {
    role: TokenRole,
    ttlSeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TOKEN_TTL_SECONDS,
        description: "Seconds until it expires (at most 10 years). Without it, it lasts until revoked.",
      }),
    ),
    description: Type.Optional(
      Type.String({
        maxLength: MAX_TOKEN_DESCRIPTION,
        pattern: NO_NUL_OR_LINE_BREAK,
        errorMessage: {
          type: "must be a string",
          maxLength: atMostCharacters(MAX_TOKEN_DESCRIPTION),
          pattern: "must not contain NUL or line breaks",
        },
      }),
    ),
  },
  { title: "TokenCreate", description: "The role of a new token, and optionally its lifetime and a note." },
);

const tokenFields = {
  id: TokenId,
  role: TokenRole,
  description: Type.Optional(Type.String()),
  createdAt: timestamp(),
  expiresAt: Type.Optional(timestamp("After this time the token answers 401.")),
};

/** What the store keeps of a token: `/tokens/<id>`. */
export const StoredToken = closed(
  {
    ...tokenFields,
    secretSha256: Type.String({ description: "Hex SHA-256 of the secret part; the secret is not kept." }),
  },
  { title: "StoredToken" },
);

/** A token as GET /tokens serves it: never its secret nor its hash. */
export const TokenInfo = closed(
  { ...tokenFields, expired: Type.Boolean({ description: "Whether expiresAt has passed." }) },
  { title: "TokenInfo", description: "A token without its secret." },
);

export const TokenCreated = closed(
  {
    ...TokenInfo.properties,
    token: Type.String({
      description: "`orc_<id>_<secret>`, shown this once: only a hash of the secret is kept.",
    }),
  },
  { title: "TokenCreated", description: "A new token with its secret, shown this once." },
);

/** What a joining worker says of itself: recorded in the join event. */
export const JoinRequest = closed(
  {
    node: Type.String({
      pattern: "^[A-Za-z0-9._-]{1,253}$",
      errorMessage: "must be 1 to 253 of letters, digits, '.', '_' and '-'",
      description: "The name the worker will register as.",
    }),
  },
  { title: "JoinRequest" },
);

/** What a worker needs to join: where the store is, its credential when it is locked, its CA when on TLS. */
export const JoinAnswer = closed(
  {
    store: Type.String({
      description: "The store URL workers use (`zk://...`, or `embedded:DIR` on this machine).",
    }),
    zkAuth: Type.Optional(
      Type.String({
        description: "The ZooKeeper `user:password` when the store is locked (--zk-auth-file).",
      }),
    ),
    zkTlsCa: Type.Optional(
      Type.String({
        description: "The CA (PEM) of the ZooKeeper servers when the store is on TLS (--zk-tls-ca).",
      }),
    ),
    zkTlsCert: Type.Optional(
      Type.String({
        description:
          "A ZooKeeper client certificate (PEM) for workers, when the API server was given one (--join-zk-tls-cert).",
      }),
    ),
    zkTlsKey: Type.Optional(Type.String({ description: "The key (PEM) of zkTlsCert, with it." })),
  },
  {
    title: "JoinAnswer",
    description: "How to reach the cluster's store. Holds a credential: keep it secret.",
  },
);
