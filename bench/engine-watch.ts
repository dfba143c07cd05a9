// What the Docker engine itself reports, for bench:docker: one stream of container `create` and `start`
// events for the whole run (with when each arrived), and waits for "N containers carrying these labels run",
// decided by the events and confirmed by a listing (what `docker ps` asks the engine). The same stop criterion
// for every contender: raw `docker run`, Orchestra and Swarm.
import type { Readable } from "node:stream";
import type Docker from "dockerode";

export interface ContainerEvent {
  id: string;
  action: "create" | "start";
  labels: Record<string, string>;
  /** When the bench received it (ms since the epoch). */
  at: number;
}

const NON_LABEL_ATTRIBUTES = new Set(["name", "image", "exitCode", "signal"]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EngineWatch {
  readonly events: ContainerEvent[] = [];
  private stream?: Readable;

  constructor(private readonly docker: Docker) {}

  async start(): Promise<void> {
    const stream = (await this.docker.getEvents({
      filters: { type: ["container"], event: ["create", "start"] },
    })) as unknown as Readable;
    this.stream = stream;
    let buffered = "";
    stream.on("data", (chunk: Buffer) => {
      const at = Date.now();
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        const raw = JSON.parse(line) as {
          Action?: string;
          Actor?: { ID?: string; Attributes?: Record<string, string> };
        };
        if ((raw.Action !== "create" && raw.Action !== "start") || !raw.Actor?.ID) continue;
        const labels = Object.fromEntries(
          Object.entries(raw.Actor.Attributes ?? {}).filter(([key]) => !NON_LABEL_ATTRIBUTES.has(key)),
        );
        this.events.push({ id: raw.Actor.ID, action: raw.Action, labels, at });
      }
    });
  }

  stop(): void {
    this.stream?.destroy();
  }

  /** Events since `since` (ms) of containers carrying every label of `labels`. */
  matching(
    labels: Record<string, string>,
    since: number,
    action?: ContainerEvent["action"],
  ): ContainerEvent[] {
    return this.events.filter(
      (event) =>
        event.at >= since &&
        (action === undefined || event.action === action) &&
        Object.entries(labels).every(([key, value]) => event.labels[key] === value),
    );
  }

  /**
   * Resolves with the time (ms since the epoch) the `n`th start event of a container carrying `labels` arrived,
   * once the engine lists `n` such containers running.
   */
  async waitRunning(
    labels: Record<string, string>,
    n: number,
    since: number,
    timeoutMs: number,
  ): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
    for (;;) {
      const starts = this.matching(labels, since, "start");
      if (starts.length >= n) {
        const running = await this.docker.listContainers({ filters: { ...filters, status: ["running"] } });
        if (running.length >= n) return (starts[n - 1] as ContainerEvent).at;
      }
      if (Date.now() > deadline)
        throw new Error(`only ${starts.length}/${n} containers started after ${timeoutMs / 1000} s`);
      await sleep(10);
    }
  }

  /** Resolves once the engine has no container carrying `labels` (running or not). */
  async waitGone(labels: Record<string, string>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
    for (;;) {
      const left = await this.docker.listContainers({ all: true, filters });
      if (left.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`${left.length} containers still there after ${timeoutMs / 1000} s`);
      await sleep(200);
    }
  }
}
