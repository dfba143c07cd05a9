// Schemas of configs and secrets: what a user sends (PUT /configs/{name}, PUT /secrets/{name}), what the API
// serves back, and how they are stored (`/configs/<name>` and `/configdata/<name>/<version>`, the same under
// `/secrets` and `/secretdata`, a secret's data encrypted). A secret's data never leaves the API server.
import Type from "typebox";
import { checkDataSize } from "../data-rules.js";
import { Count, checked, closed, stringMap, timestamp } from "./common.js";
import { DataName } from "./mounts.js";

/** Most bytes of data (decoded, all keys together) in one config or secret: ZooKeeper holds 1 MB per node. */
export const MAX_DATA_BYTES = 512 * 1024;
/** Body limit of a config's or secret's PUT: its data in base64 (4/3 of MAX_DATA_BYTES) with keys and JSON. */
export const DATA_BODY_LIMIT = 1024 * 1024;
/** Most keys (files) in one config or secret. */
export const MAX_DATA_KEYS = 64;
/** Longest key. */
export const MAX_KEY_LENGTH = 253;
/** Versions of a config's or secret's data kept for rollbacks (and any a deployment still uses). */
export const DATA_VERSIONS_KEPT = 10;

/** A key: the name of the file it becomes, or of the environment variable. */
export const DataKey = Type.String({
  pattern: "^(?!\\.{1,2}$)[-._a-zA-Z0-9]+$",
  maxLength: MAX_KEY_LENGTH,
  errorMessage: `must be 1 to ${MAX_KEY_LENGTH} of letters, digits, '-', '_' and '.', and not '.' or '..'`,
});

/** Standard base64 with padding. */
const Base64 = Type.String({
  pattern: "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
  contentEncoding: "base64",
  errorMessage: "must be base64 (standard alphabet, with padding)",
});

export const DataMap = checked(
  stringMap(Base64, {
    keys: DataKey,
    minProperties: 1,
    maxProperties: MAX_DATA_KEYS,
    description: `Key → base64 of its bytes; 1 to ${MAX_DATA_KEYS} keys, at most ${MAX_DATA_BYTES} bytes in all (decoded).`,
    errorMessage: {
      type: "must be an object mapping keys to base64 values",
      minProperties: "must have at least one key",
      maxProperties: `must have at most ${MAX_DATA_KEYS} keys`,
    },
  }),
  (data: Record<string, string>, field: string) => checkDataSize(data, field, MAX_DATA_BYTES),
);

/** The body of PUT /configs/{name} and PUT /secrets/{name}. */
export const DataWrite = closed(
  { data: DataMap },
  {
    title: "DataWrite",
    description: "The whole data of a config or secret: every key it is to have.",
    errorMessage: { type: "must be an object {data: {key: base64}}" },
  },
);

const common = {
  name: DataName,
  version: Type.Integer({ minimum: 1, description: "1 on create, +1 on every change of the data." }),
  keys: Type.Array(Type.String(), { description: "Its keys, sorted." }),
  size: Count,
  createdAt: timestamp(),
  updatedAt: timestamp(),
};

/** A config as stored (`/configs/<name>`): its data is at `/configdata/<name>/<version>`. */
export const StoredConfig = closed(common, { title: "StoredConfig" });

/** A secret as stored (`/secrets/<name>`): its data, encrypted, is at `/secretdata/<name>/<version>`. */
export const StoredSecret = closed(
  {
    ...common,
    keyId: Type.String({ description: "The id of the key its current version is encrypted with." }),
  },
  { title: "StoredSecret" },
);

/** One version of a config's data (`/configdata/<name>/<version>`). */
export const ConfigData = closed({ data: stringMap(Type.String()) }, { title: "ConfigData" });

/** One version of a secret's data (`/secretdata/<name>/<version>`): each value AES-256-GCM encrypted. */
export const SecretData = closed(
  {
    keyId: Type.String(),
    data: stringMap(Type.String(), { description: "Key → base64 of nonce, ciphertext and tag." }),
  },
  { title: "SecretData" },
);

const usedBy = Type.Array(Type.String(), {
  description: "The deployments whose pod template uses it, sorted; an update rolls each of them out.",
});

export const ConfigInfo = closed(
  { ...common, usedBy },
  { title: "ConfigInfo", description: "A config without its data." },
);

export const Config = closed(
  { ...common, usedBy, data: stringMap(Type.String(), { description: "Key → base64 of its bytes." }) },
  { title: "Config", description: "A config with the data of its current version." },
);

export const SecretInfo = closed(
  { ...StoredSecret.properties, usedBy },
  {
    title: "SecretInfo",
    description: "A secret as the API shows it: never its data, only name, keys, size and version.",
  },
);

export const DataNameParams = closed({ name: DataName });

/** The If-Match precondition of PUT and DELETE, in terms of a config's or secret's version. */
export const DataIfMatchHeaders = Type.Object({
  "if-match": Type.Optional(
    Type.String({
      pattern: '^\\s*(\\*|[0-9]{1,15}|"[0-9]{1,15}")\\s*$',
      description:
        "Precondition on the version: `3` it must be at version 3; `*` it must exist (update); `0` it must not " +
        "exist (create). 409 otherwise.",
      errorMessage: 'must be a version number (e.g. 3 or "3"), 0 for "must not exist", or * for "must exist"',
    }),
  ),
});

export const ReencryptResult = closed(
  {
    secret: SecretInfo,
    reencrypted: Count,
  },
  {
    title: "ReencryptResult",
    description: "How many stored versions were encrypted again with the primary key (0: all already were).",
  },
);
