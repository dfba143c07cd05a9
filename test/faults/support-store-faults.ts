// Helpers of the store fault tests (scenarios 5, 6, 8, 9): the RELIABILITY line each measured figure prints,
// and an HTTP call that a client retries once, as a well-behaved API client would.
import { setTimeout as sleep } from "node:timers/promises";

/** Prints `RELIABILITY <scenario> | <bound> | <measured> | <command>` on stdout, the fault suite's figure format. */
export function reliability(scenario: string, bound: string, measured: string, command: string): void {
  process.stdout.write(`RELIABILITY ${scenario} | ${bound} | ${measured} | ${command}\n`);
}

/** Seconds with one decimal, for the figures. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTP request with a timeout; throws when the server cannot be reached or does not answer in time. */
export async function http(
  url: string,
  init: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
  });
  return { status: response.status, body: await response.text() };
}

/** The outcome of a request a client may retry once: how many attempts it took, and the last answer. */
export interface RetriedAnswer {
  attempts: number;
  answer?: HttpAnswer;
  error?: string;
}

/** A request retried once (after `pauseMs`) if the first attempt failed or answered 5xx. */
export async function withOneRetry(call: () => Promise<HttpAnswer>, pauseMs = 500): Promise<RetriedAnswer> {
  let last: RetriedAnswer = { attempts: 0 };
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const answer = await call();
      last = { attempts: attempt, answer };
      if (answer.status < 500) return last;
    } catch (error) {
      last = { attempts: attempt, error: (error as Error).message };
    }
    if (attempt === 1) await sleep(pauseMs);
  }
  return last;
}
