// The API package's public surface.

export { type ApiStore, DEFAULT_STORE_TIMEOUT_MS, withDeadline } from "./deadline-store.js";
export { type DeploymentWithStatus, deploymentStatus, withStatus } from "./deployment-status.js";
export { type ApplyResult, applyDeployment, deleteDeployment, sameSpec } from "./deployment-writes.js";
export {
  type HttpError,
  httpErrorOf,
  MalformedBodyError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from "./errors.js";
export { finishDocument, swaggerOptions } from "./openapi.js";
export { checkPrecondition, type Precondition, parseIfMatch } from "./precondition.js";
export { type ApiServerOptions, buildApiServer, DEFAULT_BODY_LIMIT } from "./server.js";
