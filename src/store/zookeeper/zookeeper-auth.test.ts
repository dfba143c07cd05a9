// `--zk-auth-file`: digest identities as ZooKeeper computes them, the auth file's checks, and, on a real ZooKeeper,
// a locked tree: every znode the store creates admits only its identity; zkCli.sh without credentials and
// stores with no or another password get NoAuth on reads and writes, and nothing they tried changed anything.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { createClient } from "node-zookeeper-client";
import { startZooKeeper, type ZooKeeperServer } from "../../../test/support/zookeeper-server.js";
import { UnavailableError, ValidationError } from "../../core/errors.js";
import { eventually } from "../testing/contract-support.js";
import * as zk from "./client-calls.js";
import {
  authInfo,
  digestId,
  isLoopbackOnly,
  parseZooKeeperAuth,
  readZooKeeperAuthFile,
  type ZooKeeperAuth,
} from "./zookeeper-auth.js";
import { openZooKeeperStore, type ZooKeeperStore } from "./zookeeper-store.js";

const ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh";
const AUTH: ZooKeeperAuth = { user: "orchestra", password: "s3cret" };

describe("ZooKeeper digest auth: the pure parts", () => {
  test("the digest id is ZooKeeper's own", () => {
    // From ZooKeeper itself: java -cp zookeeper.jar org.apache.zookeeper.server.auth.DigestAuthenticationProvider orchestra:s3cret
    assert.equal(digestId(AUTH), "orchestra:pBHZWzG+nzcmqyMrwBHmoRPavY8=");
  });

  test("the auth file holds user:password; anything else is refused naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "orchestra-zk-auth-"));
    try {
      writeFileSync(join(dir, "good"), "orchestra:pass:with:colons\n");
      assert.deepEqual(readZooKeeperAuthFile(join(dir, "good")), {
        user: "orchestra",
        password: "pass:with:colons",
      });
      for (const bad of ["", "orchestra", "orchestra:", ":pw", "a b:pw"]) {
        assert.throws(
          () => parseZooKeeperAuth(bad, "f"),
          (error: unknown) => {
            assert.ok(error instanceof ValidationError);
            assert.match(error.message, /f must hold user:password/);
            return true;
          },
        );
      }
      assert.throws(() => readZooKeeperAuthFile(join(dir, "missing")), /cannot read .*missing: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("loopback-only connect strings are told apart from others", () => {
    assert.equal(isLoopbackOnly("127.0.0.1:2181,localhost:2182"), true);
    assert.equal(isLoopbackOnly("127.0.0.1:2181,10.0.0.2:2181"), false);
    assert.equal(isLoopbackOnly("zk1:2181"), false);
  });
});

describe("ZooKeeper digest auth on a real server", () => {
  let server: ZooKeeperServer;
  const stores: ZooKeeperStore[] = [];
  const root = `/locked-${randomUUID().slice(0, 8)}`;
  let store: ZooKeeperStore;

  const open = async (auth?: ZooKeeperAuth) => {
    const opened = await openZooKeeperStore({
      connectString: server.connectString,
      root,
      sessionTimeoutMs: 4000,
      ...(auth ? { auth } : {}),
    });
    stores.push(opened);
    return opened;
  };

  /** Runs zkCli.sh (no credentials) with one command; its output, whatever the exit code. */
  const zkCli = async (...command: string[]): Promise<string> => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        ZKCLI,
        ["-server", server.connectString, ...command],
        {
          timeout: 30_000,
        },
      );
      return stdout + stderr;
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      return (failed.stdout ?? "") + (failed.stderr ?? "");
    }
  };

  before(async () => {
    server = await startZooKeeper();
    store = await open(AUTH);
    await store.set("/deployments/web", { replicas: 2 });
    await store.transaction([{ op: "create", key: "/assignments/n1/p1", value: { pod: "p1" } }]);
    await store.create("/nodes/n1", { address: "10.0.0.1" }, { ephemeral: true });
    await store.campaign("controller", "c1", { elected: () => undefined, deposed: () => undefined });
  });

  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await server?.stop();
  });

  test("every znode the store made, root included, admits only its identity", async () => {
    const client = createClient(server.connectString);
    const { scheme, auth } = authInfo(AUTH);
    client.addAuthInfo(scheme, auth);
    // Requests queued before the connection would leave ahead of the authentication: wait for it.
    const connected = new Promise<void>((resolve) => client.once("connected", () => resolve()));
    client.connect();
    await connected;
    try {
      const paths: string[] = [];
      const walk = async (path: string): Promise<void> => {
        paths.push(path);
        for (const child of await zk.getChildren(client, path)) await walk(`${path}/${child}`);
      };
      await walk(root);
      assert.ok(paths.length >= 10, `only ${paths.join(", ")}`);
      for (const path of paths) {
        const acls = await zk.getAcl(client, path);
        assert.deepEqual(
          acls.map((acl) => `${acl.id.scheme}:${acl.id.id}`),
          [`digest:${digestId(AUTH)}`],
          path,
        );
      }
    } finally {
      client.close();
    }
  });

  test("zkCli.sh without credentials gets NoAuth on reads and writes, and changes nothing", async () => {
    const noAuth = /Insufficient permission|NoAuth/;
    assert.match(await zkCli("get", `${root}/deployments/web`), noAuth);
    assert.match(await zkCli("ls", `${root}/deployments`), noAuth);
    assert.match(await zkCli("set", `${root}/deployments/web`, '{"replicas":0}'), noAuth);
    assert.match(await zkCli("create", `${root}/deployments/evil`, "{}"), noAuth);
    assert.match(await zkCli("delete", `${root}/assignments/n1/p1`), noAuth);
    assert.deepEqual(await store.get("/deployments/web"), {
      key: "/deployments/web",
      value: { replicas: 2 },
      version: 0,
    });
    assert.deepEqual(
      (await store.list("/deployments")).map((e) => e.key),
      ["/deployments/web"],
    );
    assert.ok(await store.get("/assignments/n1/p1"));
  });

  test("a store without the password, or with another one, is refused with a clear error", async () => {
    const refused = (key: string) => (error: unknown) => {
      assert.ok(error instanceof UnavailableError, String(error));
      assert.equal(
        error.message,
        `ZooKeeper refused access to ${key} (NoAuth): its ACL admits another identity; check --zk-auth-file`,
      );
      return true;
    };
    // Without a password: the root exists, so opening asks nothing of it; the first read or write is refused.
    const open_ = await open();
    await assert.rejects(open_.list("/deployments"), refused("/deployments"));
    await assert.rejects(open_.set("/deployments/web", { replicas: 0 }), refused("/deployments/web"));
    // With another password: refused at once, when the store checks the root's ACL.
    await assert.rejects(open({ user: "orchestra", password: "wrong" }), refused("/"));
    assert.deepEqual((await store.get("/deployments/web"))?.value, { replicas: 2 });
  });

  test("after the server restarts, the store authenticates again and keeps working", async () => {
    await server.halt();
    await server.restart();
    await eventually(
      async () => assert.deepEqual((await store.get("/deployments/web"))?.value, { replicas: 2 }),
      15_000,
    );
    await store.set("/deployments/api", { replicas: 1 });
    assert.match(await zkCli("get", `${root}/deployments/api`), /Insufficient permission|NoAuth/);
  });
});
