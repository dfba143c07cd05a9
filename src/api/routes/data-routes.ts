// Configs and secrets: GET /configs, GET/PUT/DELETE /configs/:name, the same under /secrets, and
// POST /secrets/:name/reencrypt. A secret's data goes in with PUT and never comes out: its answers carry only
// name, keys, size, version, key id and users. An update rolls out the deployments that use it (data-writes.ts).
import Type, { type TSchema } from "typebox";
import type { Clock } from "../../core/clock.js";
import { NotFoundError } from "../../core/errors.js";
import {
  ConfigInfo as ConfigInfoSchema,
  Config as ConfigSchema,
  DATA_BODY_LIMIT,
  DataIfMatchHeaders,
  DataNameParams,
  DataWrite,
  ReencryptResult,
  SecretInfo as SecretInfoSchema,
} from "../../core/schemas/config-secret.js";
import type { ConfigData, Deployment, StoredConfig, StoredSecret } from "../../core/types.js";
import type { SecretKeyRing } from "../../secrets/secret-key-ring.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import { DATA_KEYS, type DataKind, type StoredData, usersOf } from "../data-objects.js";
import { deleteData, reencryptSecret, writeData } from "../data-writes.js";
import type { ApiStore } from "../deadline-store.js";
import { parseIfMatch } from "../precondition.js";
import { BODY_ERRORS, described, STORE_ERRORS, withErrors } from "../responses.js";
import { requireJson } from "./deployment-routes.js";

const BAD_NAME = "The name is not a DNS label, or If-Match is malformed.";

export function dataRoutes(
  app: ApiApp,
  store: ApiStore,
  ring: SecretKeyRing | undefined,
  clock: Clock,
): void {
  async function deployments(): Promise<Deployment[]> {
    return (await store.list<Deployment>(keys.deployments)).map((entry) => entry.value);
  }

  /** Every object of `kind`, sorted by name, each with the deployments that use it. */
  async function list(kind: DataKind): Promise<(StoredData & { usedBy: string[] })[]> {
    const [stored, all] = await Promise.all([store.list<StoredData>(DATA_KEYS[kind].dir), deployments()]);
    return stored.map((entry) => ({ ...entry.value, usedBy: usersOf(all, kind, entry.value.name) }));
  }

  async function one<T extends StoredData>(kind: DataKind, name: string): Promise<T & { usedBy: string[] }> {
    const [entry, all] = await Promise.all([store.get<T>(DATA_KEYS[kind].key(name)), deployments()]);
    if (!entry) throw new NotFoundError(`${kind} ${name} not found`);
    return { ...entry.value, usedBy: usersOf(all, kind, name) };
  }

  for (const kind of ["config", "secret"] as const) {
    const path = `/${kind}s`;
    const Info: TSchema = kind === "config" ? ConfigInfoSchema : SecretInfoSchema;

    app.get(
      path,
      {
        schema: {
          summary: `List ${kind}s${kind === "secret" ? " (never their data)" : " (without their data)"}`,
          response: withErrors({ 200: Type.Array(Info, { description: "Sorted by name." }) }, STORE_ERRORS),
        },
      },
      async () => list(kind),
    );

    app.put(
      `${path}/:name`,
      {
        schema: {
          summary: `Create or update a ${kind}`,
          description:
            `Creates the ${kind} (201) or replaces its data (200) with a new version; every deployment that uses ` +
            "it moves to that version and rolls out. `If-Match: 0` only creates (409 if it exists), `*` only " +
            "updates (404 if it does not)." +
            (kind === "secret" ? " The data is encrypted at rest and never returned." : ""),
          params: DataNameParams,
          headers: DataIfMatchHeaders,
          body: DataWrite,
          response: withErrors(
            { 200: described(Info, "Updated: a new version."), 201: described(Info, "Created.") },
            {
              ...STORE_ERRORS,
              ...BODY_ERRORS,
              400: `${BAD_NAME} Or the body breaks its schema (keys, base64, 512 KiB in all).`,
              404: "If-Match: * (or a version) and no such object.",
              409: "The If-Match precondition failed, or the write kept losing races.",
              503: `The store is unreachable${kind === "secret" ? ", or this server has no secrets key" : ""}.`,
            },
          ),
        },
        onRequest: async (request) => requireJson(request),
        bodyLimit: DATA_BODY_LIMIT,
      },
      async (request, reply) => {
        const { name } = request.params;
        const result = await writeData(
          store,
          kind,
          name,
          request.body.data,
          parseIfMatch(request.headers["if-match"]),
          { ring, clock },
        );
        request.log.info(
          { [kind]: name, version: result.stored.version, rolling: result.usedBy },
          result.created ? `${kind} created` : `${kind} updated`,
        );
        if (result.created) reply.status(201).header("location", `${path}/${name}`);
        return { ...result.stored, usedBy: result.usedBy };
      },
    );

    app.delete(
      `${path}/:name`,
      {
        schema: {
          summary: `Delete a ${kind} and every version of its data`,
          params: DataNameParams,
          headers: DataIfMatchHeaders,
          response: withErrors(
            { 200: described(Info, "The deleted object.") },
            {
              ...STORE_ERRORS,
              ...BODY_ERRORS,
              400: BAD_NAME,
              404: `No such ${kind}.`,
              409: "A deployment uses it (the message names them), or If-Match failed.",
            },
          ),
        },
      },
      async (request) => {
        const { name } = request.params;
        const deleted = await deleteData(store, kind, name, parseIfMatch(request.headers["if-match"]), clock);
        request.log.info({ [kind]: name, version: deleted.version }, `${kind} deleted`);
        return { ...deleted, usedBy: [] };
      },
    );
  }

  app.get(
    "/configs/:name",
    {
      schema: {
        summary: "Read a config with the data of its current version",
        params: DataNameParams,
        response: withErrors(
          { 200: ConfigSchema },
          { ...STORE_ERRORS, 400: BAD_NAME, 404: "No such config." },
        ),
      },
    },
    async (request) => {
      const config = await one<StoredConfig>("config", request.params.name);
      const data = await store.get<ConfigData>(keys.configVersion(config.name, config.version));
      if (!data) throw new NotFoundError(`config ${config.name} has no data for version ${config.version}`);
      return { ...config, data: data.value.data };
    },
  );

  app.get(
    "/secrets/:name",
    {
      schema: {
        summary: "Read what is known of a secret: never its data",
        params: DataNameParams,
        response: withErrors(
          { 200: SecretInfoSchema },
          { ...STORE_ERRORS, 400: BAD_NAME, 404: "No such secret." },
        ),
      },
    },
    async (request) => one<StoredSecret>("secret", request.params.name),
  );

  app.post(
    "/secrets/:name/reencrypt",
    {
      schema: {
        summary: "Encrypt every kept version of a secret again with the primary key (after a key rotation)",
        description:
          "Versions stay as they are, so nothing rolls out. Needs every key the data was encrypted with.",
        params: DataNameParams,
        response: withErrors(
          { 200: ReencryptResult },
          {
            ...STORE_ERRORS,
            ...BODY_ERRORS,
            400: BAD_NAME,
            404: "No such secret.",
            409: "The write kept losing races.",
            500: "A version is encrypted with a key this server does not have; its log says which.",
            503: "The store is unreachable, or this server has no secrets key.",
          },
        ),
      },
    },
    async (request) => {
      const { name } = request.params;
      const { stored, reencrypted } = await reencryptSecret(store, name, ring, clock);
      request.log.info({ secret: name, reencrypted, keyId: stored.keyId }, "secret re-encrypted");
      return { secret: { ...(await one<StoredSecret>("secret", name)), ...stored }, reencrypted };
    },
  );
}
