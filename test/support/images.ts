// The local images tests run: built offline from busybox-static by scripts/build-demo-image.sh, once per process.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** Answers HTTP on :8080 with `hello from <ORCHESTRA_POD_NAME or hostname>`. */
export const DEMO_IMAGE = "orchestra/hello:latest";
export const DEMO_PORT = 8080;
/** Plain busybox: sh, sleep, wget, nslookup, ... */
export const TEST_IMAGE = "orchestra/test-busybox:latest";

// Compiled to dist/test/support/images.js: the repository root is three folders up.
const script = fileURLToPath(new URL("../../../scripts/build-demo-image.sh", import.meta.url));
let building: Promise<void> | undefined;

/** Builds both images unless they are present and current. */
export function ensureTestImages(): Promise<void> {
  building ??= promisify(execFile)(script, [], { timeout: 120_000 }).then(
    () => undefined,
    (err: Error & { stderr?: string }) => {
      building = undefined;
      throw new Error(`building the test images failed: ${err.stderr?.trim() || err.message}`);
    },
  );
  return building;
}

/** Answers every UDP datagram on :9000 with `<pod name> <sender address> <payload>`. */
export const UDP_ECHO_IMAGE = "orchestra/udp-echo:latest";
export const UDP_ECHO_PORT = 9000;
let buildingUdpEcho: Promise<void> | undefined;

/** Builds the UDP echo image (with gcc) unless it is present and current. */
export function ensureUdpEchoImage(): Promise<void> {
  buildingUdpEcho ??= promisify(execFile)(script, ["udp-echo"], { timeout: 120_000 }).then(
    () => undefined,
    (err: Error & { stderr?: string }) => {
      buildingUdpEcho = undefined;
      throw new Error(`building ${UDP_ECHO_IMAGE} failed: ${err.stderr?.trim() || err.message}`);
    },
  );
  return buildingUdpEcho;
}
