// Follows the engine's event stream (GET /events) for Orchestra's containers, reconnecting when it breaks
// and resuming from the last event seen, so a worker hears of a dead container at once.
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import type { Logger } from "../../core/logger.js";
import type { EventOptions, EventSubscription, RuntimeEvent, RuntimeEventType } from "../runtime.js";

const EVENT_TYPES: readonly RuntimeEventType[] = ["start", "die", "stop", "destroy", "oom"];
/** Attributes the engine mixes in with a container's labels. */
const NON_LABEL_ATTRIBUTES = new Set(["name", "image", "exitCode", "signal"]);
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

export function followDockerEvents(
  docker: Docker,
  onEvent: (event: RuntimeEvent) => void,
  options: EventOptions,
  log: Logger,
): EventSubscription {
  const filters = {
    type: ["container"],
    event: [...EVENT_TYPES],
    label: Object.entries(options.labels ?? {}).map(([key, value]) => `${key}=${value}`),
  };
  let stopped = false;
  let connectedOnce = false;
  let stream: Readable | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = RETRY_MIN_MS;
  // Resume point: the engine replays events from `since` on, so a reconnect misses nothing it still holds.
  let lastTimeNano: number | undefined;
  let seenAtLastTime = new Set<string>();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const deliver = (raw: EngineEvent) => {
    const type = raw.Action as RuntimeEventType;
    const id = raw.Actor?.ID;
    if (!id || raw.Type !== "container" || !EVENT_TYPES.includes(type)) return;
    const timeNano = raw.timeNano ?? (raw.time ?? 0) * 1e9;
    // A replay after reconnecting repeats the events of the resume instant: drop those already delivered.
    const key = `${id}/${type}`;
    if (lastTimeNano !== undefined && timeNano < lastTimeNano) return;
    if (timeNano === lastTimeNano && seenAtLastTime.has(key)) return;
    if (timeNano !== lastTimeNano) seenAtLastTime = new Set();
    lastTimeNano = timeNano;
    seenAtLastTime.add(key);

    const attributes = raw.Actor?.Attributes ?? {};
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(attributes)) {
      if (!NON_LABEL_ATTRIBUTES.has(name)) labels[name] = value;
    }
    const event: RuntimeEvent = { id, name: attributes.name, type, labels, time: Math.floor(timeNano / 1e6) };
    if (type === "die" && attributes.exitCode !== undefined) event.exitCode = Number(attributes.exitCode);
    try {
      onEvent(event);
    } catch (err) {
      log.error({ err, container: id, event: type }, "event handler failed");
    }
  };

  const scheduleReconnect = (reason: unknown) => {
    if (stopped || retryTimer) return;
    log.warn({ err: reason, retryMs }, "docker event stream broke; reconnecting");
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };

  const connect = async () => {
    const since = lastTimeNano === undefined ? undefined : formatSince(lastTimeNano);
    let opened: Readable;
    try {
      // `since` goes out as text: the engine takes nanoseconds after the dot, the typings only a number.
      const query = { filters, ...(since ? { since } : {}) } as unknown as Docker.GetEventsOptions;
      opened = (await docker.getEvents(query)) as Readable;
    } catch (err) {
      scheduleReconnect(err);
      return;
    }
    if (stopped) {
      opened.destroy();
      return;
    }
    stream = opened;
    retryMs = RETRY_MIN_MS;
    if (connectedOnce) options.onReconnect?.();
    connectedOnce = true;
    markReady();

    let buffered = "";
    opened.setEncoding("utf8");
    opened.on("data", (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== "") {
          try {
            deliver(JSON.parse(line) as EngineEvent);
          } catch (err) {
            log.warn({ err, line }, "unreadable docker event");
          }
        }
        newline = buffered.indexOf("\n");
      }
    });
    const broke = (reason: unknown) => {
      if (stream !== opened) return;
      stream = undefined;
      opened.destroy();
      scheduleReconnect(reason);
    };
    opened.on("error", broke);
    opened.on("end", () => broke(new Error("event stream ended")));
    opened.on("close", () => broke(new Error("event stream closed")));
  };

  void connect();
  return {
    ready,
    stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      const current = stream;
      stream = undefined;
      current?.destroy();
    },
  };
}

/** The Engine API's `since`: seconds with a nanosecond fraction. */
function formatSince(timeNano: number): string {
  const nanos = BigInt(Math.round(timeNano));
  const seconds = nanos / 1_000_000_000n;
  const fraction = nanos % 1_000_000_000n;
  return `${seconds}.${fraction.toString().padStart(9, "0")}`;
}
