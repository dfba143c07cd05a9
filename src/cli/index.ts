// The CLI's public surface: the command tree, the API client and the output formatters.
export {
  ApiClient,
  type ApiClientOptions,
  type DeploymentView,
  type NodeView,
  type PodFilter,
} from "./api-client.js";
export { ApiError, CliError } from "./cli-error.js";
export { type CliIo, processIo } from "./cli-io.js";
export { formatAge } from "./output/age.js";
export { deploymentTable, nodeTable, podTable } from "./output/resource-tables.js";
export { formatStructured } from "./output/structured.js";
export { formatTable, type Table } from "./output/table.js";
export { buildProgram, type CommandRegistrar, commandRegistrars, runCli } from "./program.js";
