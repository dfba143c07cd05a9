// The API's published contract, for tests: the OpenAPI document the server serves, and a check that an
// answer matches the document's schema for its route and status. The API tests run every answer they get
// through `assertAnswerMatchesContract`, so a route whose answers drift from /openapi.json fails a test.
import assert from "node:assert/strict";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { buildApiServer } from "../../src/api/server.js";
import { unreachableStore } from "./unreachable-store.js";

// biome-ignore lint/suspicious/noExplicitAny: the document is read as plain JSON.
type Json = Record<string, any>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let built: Promise<Json> | undefined;

/** The OpenAPI document, as the API server generates it (and serves at /openapi.json). */
export function apiDocument(): Promise<Json> {
  built ??= (async () => {
    // Building the server and its document needs no store: give it one that never answers.
    const app = buildApiServer({ store: unreachableStore(() => new Promise<never>(() => {}), "connected") });
    try {
      await app.ready();
      return structuredClone(app.swagger()) as Json;
    } finally {
      await app.close();
    }
  })();
  return built;
}

/** A client-side validator built from the document, as any client with ajv would build it. */
export function clientAjv(document: Json): Ajv2020 {
  // Not strict: OpenAPI schemas may carry annotations ajv does not know (here `errorMessage`).
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema(document, "openapi.json");
  return ajv;
}

/** The validator of one schema of the document, at a JSON pointer into it. */
export function validatorAt(ajv: Ajv2020, pointer: string[]): ValidateFunction {
  const fragment = pointer.map((key) => encodeURIComponent(key.replaceAll("~", "~0").replaceAll("/", "~1")));
  return ajv.compile({ $ref: `openapi.json#/${fragment.join("/")}` });
}

interface Contract {
  document: Json;
  ajv: Ajv2020;
  routes: { template: string; pattern: RegExp }[];
  validators: Map<string, ValidateFunction>;
}

let contract: Promise<Contract> | undefined;

function loadContract(): Promise<Contract> {
  contract ??= apiDocument().then((document) => ({
    document,
    ajv: clientAjv(document),
    routes: Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
    })),
    validators: new Map(),
  }));
  return contract;
}

/**
 * Asserts that an answer of the API is one the document describes: a documented status of the route,
 * with a body that matches the schema for it. A request that matched no route gets an Error body.
 */
export async function assertAnswerMatchesContract(
  method: string,
  path: string,
  status: number,
  body: unknown,
): Promise<void> {
  const { document, ajv, routes, validators } = await loadContract();
  // The route is matched on the path as the server's router reads it: up to a query or a fragment (a raw
  // request may carry `#`, which clients never send).
  const bare = path.split(/[?#]/)[0] ?? "";
  const route = routes.find((candidate) => candidate.pattern.test(bare));
  const operation = route ? document.paths[route.template][method.toLowerCase()] : undefined;
  const what = `${method} ${path.slice(0, 120)} answered ${status}`;
  let pointer: string[];
  if (!route || !operation) {
    pointer = ["components", "schemas", "Error"];
  } else {
    assert.ok(operation.responses[String(status)], `${what}, a status /openapi.json does not list for it`);
    pointer = ["paths", route.template, method.toLowerCase(), "responses", String(status)];
    pointer.push("content", "application/json", "schema");
  }
  const key = pointer.join(" ");
  let validate = validators.get(key);
  if (!validate) {
    validate = validatorAt(ajv, pointer);
    validators.set(key, validate);
  }
  assert.ok(
    validate(body),
    `${what} with a body /openapi.json does not describe: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)?.slice(0, 500)}`,
  );
}
