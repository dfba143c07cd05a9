// Runs the writes one API server makes to one key one after the other. Compare-and-set lets only one of
// writers racing for a key win each round, and retries are bounded: 200 simultaneous PUTs of one deployment
// would otherwise exhaust them and answer 409 though none asked for a precondition. Queued here, writes
// through one server never race each other; those of several servers still race, and retry.

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `task` once every task queued before it for `key` has settled; returns its result. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // The last task of a key removes its entry: the map holds only keys being written.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a write queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
