// The lab's store: one real ZooKeeper server (Debian's package) on the root namespace's address on the lab's
// bridge, detached, its data and log in the lab's folder.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LAB_ENV } from "./lab-plan.js";

export const ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar";
// The jar's manifest names its dependencies; slf4j-simple gives the server a log binding (warnings only), and
// the manifest leaves out Netty jars that its connection factory (for TLS) needs.
const CLASSPATH = [
  ZOOKEEPER_JAR,
  "/usr/share/java/slf4j-simple.jar",
  "/usr/share/java/netty-codec.jar",
  "/usr/share/java/netty-resolver.jar",
  "/usr/share/java/netty-transport-native-unix-common.jar",
].join(":");

/** `java` arguments for a server with this config file: a small heap, quick start, warnings only. */
export function zookeeperJavaArgs(configFile: string): string[] {
  return [
    "-Xmx128m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-cp",
    CLASSPATH,
    "org.apache.zookeeper.server.quorum.QuorumPeerMain",
    configFile,
  ];
}
const START_TIMEOUT_MS = 60_000;

export interface LabZooKeeper {
  pid: number;
  /** `host:port`. */
  address: string;
}

/** Starts the server; resolves once it serves requests. */
export async function startLabZooKeeper(options: {
  lab: string;
  dir: string;
  host: string;
  port: number;
}): Promise<LabZooKeeper> {
  if (!existsSync(ZOOKEEPER_JAR)) {
    throw new Error(`ZooKeeper is not installed (${ZOOKEEPER_JAR} is missing): apt-get install zookeeper`);
  }
  mkdirSync(options.dir, { recursive: true });
  const config = join(options.dir, "zoo.cfg");
  writeFileSync(
    config,
    [
      // Sessions of 0.4-4 s allowed, as in the tests; the components ask for 4 s by default.
      "tickTime=200",
      `dataDir=${options.dir}`,
      `clientPort=${options.port}`,
      `clientPortAddress=${options.host}`,
      "admin.enableServer=false",
      "4lw.commands.whitelist=srvr",
      "maxClientCnxns=0",
      "",
    ].join("\n"),
  );
  const log = openSync(join(options.dir, "zookeeper.log"), "a");
  const server = spawn("java", zookeeperJavaArgs(config), {
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, [LAB_ENV]: options.lab },
  });
  let exited: string | undefined;
  server.once("exit", (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  server.once("error", (err) => {
    exited = `could not run java: ${err.message}`;
  });
  server.unref();
  const address = `${options.host}:${options.port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited)
      throw new Error(`ZooKeeper on ${address} ${exited}: ${tail(join(options.dir, "zookeeper.log"))}`);
    const reply = await fourLetterWord(options.host, options.port, "srvr").catch(() => "");
    if (/^Mode: standalone/m.test(reply) && server.pid) return { pid: server.pid, address };
    if (Date.now() > deadline)
      throw new Error(`ZooKeeper on ${address} did not serve within ${START_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

/** Sends a four-letter word to a ZooKeeper server and returns its whole reply. */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = "";
    const socket = connect(port, host, () => socket.end(word));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply to ${word} from ${host}:${port}`)));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
    });
    socket.on("error", reject);
    socket.on("close", (hadError) => {
      if (!hadError) resolve(reply);
    });
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-10).join("\n");
  } catch {
    return "(no log)";
  }
}
