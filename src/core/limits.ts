// Every limit on what the API accepts and keeps, in one place. Each is enforced with a 4xx naming it, and
// documented with its default (docs/OPERATIONS.md, "Limits"). Limits on a field are published in its schema
// (maxLength, maxItems, maxProperties, patterns), so /openapi.json states them too. Those named DEFAULT_ are
// the API server's defaults, which an operator may change when starting it.
// A new field's limits go here, next to those of its kind, and into the table of docs/OPERATIONS.md.

// A deployment as a whole: it is one store value, copied into each of its pods and revisions, and a ZooKeeper
// znode holds at most 1 MB (jute.maxbuffer), so the spec keeps a wide margin under it.
export const MAX_DEPLOYMENT_BYTES = 256 * 1024;
/** Deployments in the cluster (flag `--max-deployments`). */
export const DEFAULT_MAX_DEPLOYMENTS = 10_000;
/** Replicas of one deployment: its pods, plus at most maxSurge more during a rollout. */
export const MAX_REPLICAS = 1000;

// Fields of a deployment's pod template.
/** A Docker reference is at most 520 characters (255 of name, a tag of 128, a sha512 digest). */
export const MAX_IMAGE_LENGTH = 1024;
/** Arguments of `command` and of an `exec` health check. */
export const MAX_ARGS = 1024;
export const MAX_ARG_LENGTH = 32 * 1024;
export const MAX_ENV_VARS = 1000;
export const MAX_ENV_NAME_LENGTH = 256;
export const MAX_ENV_VALUE_LENGTH = 32 * 1024;
export const MAX_PORTS = 100;
/** Labels of a deployment, and of a node (the worker's and the users' together). */
export const MAX_LABELS = 64;
/** A label key: a DNS-subdomain prefix of at most 253, '/', and a name of at most 63 (as in Kubernetes). */
export const MAX_LABEL_KEY_LENGTH = 253 + 1 + 63;
export const MAX_CONSTRAINTS = 64;
/** Values of an `in`/`notin` constraint. */
export const MAX_CONSTRAINT_VALUES = 64;
export const MAX_HTTP_PATH_LENGTH = 2048;

// Requests and connections of the API server (options of buildApiServer; flags of `up` and `run api` where named).
/**
 * Request body in bytes; 413 beyond, refused on its Content-Length before a byte is read. Twice the largest
 * deployment: a fill of 1 MB bodies costs the server nothing to refuse.
 */
export const DEFAULT_BODY_LIMIT = 2 * MAX_DEPLOYMENT_BYTES;
/** Objects and arrays nested in a request body. */
export const MAX_BODY_DEPTH = 32;
/** Time to receive a request's headers. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Time to receive a whole request, body included (flag `--request-timeout`); the socket is closed after it. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** A kept-alive connection with no request in flight is closed after this. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A connection on which nothing moves either way is closed after this (flag `--idle-timeout`). */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Open connections; more are closed as they arrive (flag `--max-connections`). */
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** Items in one page of a list (`?limit=`): the default, and the most a client may ask for. */
export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 1000;
/** Cluster events kept in the store; the oldest are pruned beyond. */
export const MAX_EVENTS = 1000;
/** Concurrent streaming requests (logs, exec) per API server, for the routes that stream. */
export const MAX_STREAMS = 64;
/**
 * How much of a key or header an error message or a log line repeats: a huge bad key is named by its start,
 * not echoed whole. Above the longest valid key (a label key, 317), so a key near a limit is shown whole.
 */
export const MAX_ECHO_LENGTH = 400;
/** An unknown field gets a "did you mean" only up to this length (the comparison costs length squared). */
export const MAX_SUGGESTED_KEY_LENGTH = 64;
