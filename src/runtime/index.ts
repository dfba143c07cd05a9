// The container runtime package: the interface, its labels and errors, and both implementations.
export { type DockerConnection, formatDockerHost, parseDockerHost } from "./docker/docker-host.js";
export { DockerRuntime, type DockerRuntimeOptions } from "./docker/docker-runtime.js";
export { ContainerExistsError, ContainerStartError, ExecTimeoutError, ImageNotFoundError } from "./errors.js";
export type { FakeBehaviour, FakeMatch } from "./fake/fake-behaviour.js";
export { FakeRuntime, type FakeRuntimeOptions } from "./fake/fake-runtime.js";
export { parseSubnet, subnetAddress, subnetContains } from "./ipv4.js";
export {
  LABEL_DEPLOYMENT,
  LABEL_MANAGED,
  LABEL_NODE,
  LABEL_POD,
  LABEL_POD_NAME,
  LABEL_REVISION,
  MANAGED_LABELS,
  matchesLabels,
  podLabels,
} from "./labels.js";
export type * from "./runtime.js";
