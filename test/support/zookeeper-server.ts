// Starts real ZooKeeper servers from Debian's `zookeeper` package for tests: one standalone server or a
// loopback ensemble, each in its own temporary folder, with a short tick so that ~2 s sessions are allowed.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect as tlsConnect } from "node:tls";
import { freePort as freePortOn } from "../../src/lab/lab-components.js";
import { fourLetterWord, ZOOKEEPER_JAR, zookeeperJavaArgs } from "../../src/lab/lab-zookeeper.js";

const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 60_000;

export interface ZooKeeperOptions {
  /** ZooKeeper's tick; sessions may last from 2 to 20 ticks. Default 200 ms (sessions of 0.4-4 s). */
  tickTimeMs?: number;
  /**
   * Also serve TLS on a `secureClientPort` (Netty), with PEM files: the server's key and certificate in one file,
   * and the CA whose certificates it trusts. Clients must present a certificate (ZooKeeper's default). With
   * `only`, serve the secure port alone: no plain client port (the server is probed over TLS, with its own
   * certificate as the client's).
   */
  tls?: { keyStoreFile: string; trustStoreFile: string; only?: boolean };
}

/** One ZooKeeper server process, which a test may crash and start again on the same port with the same data. */
export interface ZooKeeperMember {
  /** The server id (`myid`); 1 for a standalone server. */
  readonly id: number;
  readonly host: string;
  readonly port: number;
  /** `host:port`, for a connect string. */
  readonly address: string;
  readonly running: boolean;
  /** Kills the process (SIGKILL, like a crash) and keeps its data. */
  halt(): Promise<void>;
  /** Starts the server again after halt(), on the same port with the same data; resolves once it serves. */
  restart(): Promise<void>;
  /** Sends a four-letter word (`srvr`, `dump`, `mntr`, ...) and returns the reply. */
  fourLetterWord(word: string): Promise<string>;
}

export interface ZooKeeperServer extends ZooKeeperMember {
  readonly connectString: string;
  /** `host:port` of the TLS port, when started with `tls`. */
  readonly secureAddress?: string;
  /** Kills the server and removes its folder. */
  stop(): Promise<void>;
}

export interface ZooKeeperEnsemble {
  /** All members, `host:port,host:port,...`. */
  readonly connectString: string;
  readonly members: readonly ZooKeeperMember[];
  /** Kills every member and removes the folder. */
  stop(): Promise<void>;
}

/** Starts a standalone server on a free loopback port; resolves once it serves requests. */
export async function startZooKeeper(options: ZooKeeperOptions = {}): Promise<ZooKeeperServer> {
  assertInstalled();
  const folder = makeFolder("orchestra-zk-");
  const securePort = options.tls ? await freePort() : undefined;
  const secureOnly = options.tls?.only === true;
  const port = secureOnly && securePort !== undefined ? securePort : await freePort();
  const config =
    configText(options, folder, secureOnly ? undefined : port, []) + secureConfigText(options, securePort);
  const member = new MemberProcess(1, port, folder, config, options.tls?.only ? options.tls : undefined);
  try {
    await member.restart();
  } catch (error) {
    await member.halt();
    removeFolder(folder);
    throw error;
  }
  return Object.assign(member, {
    connectString: member.address,
    ...(securePort ? { secureAddress: `${HOST}:${securePort}` } : {}),
    async stop() {
      await member.halt();
      removeFolder(folder);
    },
  });
}

/** Starts `size` servers that form one ensemble on loopback; resolves once every member serves. */
export async function startZooKeeperEnsemble(
  size = 3,
  options: ZooKeeperOptions = {},
): Promise<ZooKeeperEnsemble> {
  assertInstalled();
  const folder = makeFolder("orchestra-zk-ensemble-");
  const peers: { id: number; clientPort: number; quorumPort: number; electionPort: number }[] = [];
  for (let id = 1; id <= size; id++) {
    peers.push({
      id,
      clientPort: await freePort(),
      quorumPort: await freePort(),
      electionPort: await freePort(),
    });
  }
  const servers = peers.map((p) => `server.${p.id}=${HOST}:${p.quorumPort}:${p.electionPort}`);
  const members = peers.map((p) => {
    const dataDir = join(folder, `server-${p.id}`);
    return new MemberProcess(
      p.id,
      p.clientPort,
      dataDir,
      configText(options, dataDir, p.clientPort, servers),
    );
  });
  const stop = async () => {
    await Promise.all(members.map((m) => m.halt()));
    removeFolder(folder);
  };
  try {
    // Members wait for each other to form a quorum, so start them all before waiting on any.
    await Promise.all(members.map((m) => m.restart()));
  } catch (error) {
    await stop();
    throw error;
  }
  return { connectString: members.map((m) => m.address).join(","), members, stop };
}

/** Sends a four-letter word to a server and returns its whole reply (the lab's ZooKeeper uses it too). */
export { fourLetterWord };

function assertInstalled(): void {
  if (!existsSync(ZOOKEEPER_JAR)) {
    throw new Error(
      `ZooKeeper is not installed: ${ZOOKEEPER_JAR} is missing. Install Debian's package: apt-get install -y zookeeper`,
    );
  }
}

/** Without `clientPort`, no plain client port (a server on its secureClientPort only). */
function configText(
  options: ZooKeeperOptions,
  dataDir: string,
  clientPort: number | undefined,
  servers: string[],
): string {
  const lines = [
    `tickTime=${options.tickTimeMs ?? 200}`,
    `dataDir=${dataDir}`,
    ...(clientPort === undefined ? [] : [`clientPort=${clientPort}`, `clientPortAddress=${HOST}`]),
    "admin.enableServer=false",
    // srvr tells when a server serves; dump lists live sessions (tests wait on a session's expiry with it).
    "4lw.commands.whitelist=*",
    "maxClientCnxns=0",
  ];
  if (servers.length > 0) {
    // Generous in ticks because the ticks are short and the machine has two cores.
    lines.push("initLimit=50", "syncLimit=25", "electionPortBindRetry=20", ...servers);
  }
  return `${lines.join("\n")}\n`;
}

/** The TLS part of a standalone server's configuration (ZooKeeper 3.8 reads PEM key and trust stores). */
function secureConfigText(options: ZooKeeperOptions, securePort: number | undefined): string {
  if (!options.tls || securePort === undefined) return "";
  const lines = [
    // Only the Netty connection factory speaks TLS; it serves the plain port (and four-letter words) too.
    "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
    `secureClientPort=${securePort}`,
    `secureClientPortAddress=${HOST}`,
    `ssl.keyStore.location=${options.tls.keyStoreFile}`,
    "ssl.keyStore.type=PEM",
    `ssl.trustStore.location=${options.tls.trustStoreFile}`,
    "ssl.trustStore.type=PEM",
  ];
  return `${lines.join("\n")}\n`;
}

/** Every server and folder made by this process, removed when it exits even if a test forgot to stop one. */
const liveProcesses = new Set<ChildProcess>();
const liveFolders = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const p of liveProcesses) p.kill("SIGKILL");
    for (const folder of liveFolders) rmSync(folder, { recursive: true, force: true });
  });
}

function track(child: ChildProcess): void {
  installExitHook();
  liveProcesses.add(child);
  child.once("exit", () => liveProcesses.delete(child));
}

function makeFolder(prefix: string): string {
  installExitHook();
  const folder = mkdtempSync(join(tmpdir(), prefix));
  liveFolders.add(folder);
  return folder;
}

function removeFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
  liveFolders.delete(folder);
}

class MemberProcess implements ZooKeeperMember {
  readonly host = HOST;
  private child: ChildProcess | undefined;
  /** The last lines the server printed, shown when it fails to start. */
  private output: string[] = [];

  constructor(
    readonly id: number,
    readonly port: number,
    private readonly dataDir: string,
    private readonly config: string,
    /** For a server on its secure port only: the PEM files it is probed over TLS with. */
    private readonly probeTls?: { keyStoreFile: string; trustStoreFile: string },
  ) {}

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  fourLetterWord(word: string): Promise<string> {
    if (this.probeTls) return secureFourLetterWord(this.host, this.port, word, this.probeTls);
    return fourLetterWord(this.host, this.port, word);
  }

  async restart(): Promise<void> {
    if (this.child) throw new Error(`ZooKeeper server ${this.id} is already running`);
    mkdirSync(this.dataDir, { recursive: true });
    writeFileSync(join(this.dataDir, "myid"), `${this.id}\n`);
    const configFile = join(this.dataDir, "zoo.cfg");
    writeFileSync(configFile, this.config);
    this.output = [];
    const child = spawn("java", zookeeperJavaArgs(configFile), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    track(child);
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split("\n").filter(Boolean));
      if (this.output.length > 50) this.output.splice(0, this.output.length - 50);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    let exited: string | undefined;
    let spawnError: Error | undefined;
    child.once("error", (error) => {
      spawnError = error;
    });
    child.once("exit", (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      if (this.child === child) this.child = undefined;
    });
    await this.waitServing(() => (spawnError ? `could not run java: ${spawnError.message}` : exited));
  }

  async halt(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await exited;
    }
  }

  /** Polls `srvr` until the server reports a mode, i.e. serves clients (an ensemble member: has a quorum). */
  private async waitServing(failure: () => string | undefined): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let lastReply = "";
    while (Date.now() < deadline) {
      const failed = failure();
      if (failed) throw this.startError(failed);
      try {
        lastReply = await this.fourLetterWord("srvr");
        if (/^Mode: (standalone|leader|follower)/m.test(lastReply)) return;
      } catch (error) {
        lastReply = (error as Error).message;
      }
      await sleep(100);
    }
    throw this.startError(
      `did not serve within ${START_TIMEOUT_MS} ms (last srvr reply: ${lastReply.trim()})`,
    );
  }

  private startError(reason: string): Error {
    const tail = this.output.slice(-15).join("\n  ");
    return new Error(`ZooKeeper server ${this.id} on ${this.address} ${reason}${tail ? `\n  ${tail}` : ""}`);
  }
}

/** A four-letter word over TLS, with the server's own key store as the client's certificate. */
function secureFourLetterWord(
  host: string,
  port: number,
  word: string,
  files: { keyStoreFile: string; trustStoreFile: string },
  timeoutMs = 2000,
): Promise<string> {
  const identity = readFileSync(files.keyStoreFile);
  return new Promise((resolve, reject) => {
    let reply = "";
    const socket = tlsConnect(
      { host, port, ca: readFileSync(files.trustStoreFile), cert: identity, key: identity },
      () => socket.end(word),
    );
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply to ${word} from ${host}:${port}`)));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
    });
    socket.on("error", reject);
    socket.on("close", (hadError) => {
      if (!hadError) resolve(reply);
    });
  });
}

/** A loopback port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return freePortOn(HOST);
}
