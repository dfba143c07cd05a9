// Writes the controller made that its pod cache has not shown yet. Without them a reconcile that runs
// before the watch delivers its own creates would create the same replicas again (Kubernetes'
// ControllerExpectations solve the same problem).
import type { Clock } from "../core/clock.js";
import type { Pod } from "../core/types.js";

interface Pending {
  created: Map<string, Pod>;
  deleted: Set<string>;
  /** After this time the expectations are dropped, in case an event was lost. */
  expiresAt: number;
}

export class Expectations {
  private readonly byDeployment = new Map<string, Pending>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 60_000,
  ) {}

  /** Call before the write, so an event that arrives before the write returns still clears it. */
  expect(deployment: string, created: Pod[], deleted: string[]): void {
    const pending = this.pendingFor(deployment);
    for (const pod of created) pending.created.set(pod.id, pod);
    for (const id of deleted) pending.deleted.add(id);
    pending.expiresAt = this.clock.now() + this.ttlMs;
  }

  /** The write failed and changed nothing: expect none of it. */
  cancel(deployment: string, created: Pod[], deleted: string[]): void {
    const pending = this.byDeployment.get(deployment);
    if (!pending) return;
    for (const pod of created) pending.created.delete(pod.id);
    for (const id of deleted) pending.deleted.delete(id);
    this.dropIfEmpty(deployment, pending);
  }

  /** The cache showed the pod created. */
  observedCreate(pod: Pod): void {
    const pending = this.byDeployment.get(pod.deployment);
    if (pending?.created.delete(pod.id)) this.dropIfEmpty(pod.deployment, pending);
  }

  /** The cache showed the pod deleted. */
  observedDelete(pod: Pod): void {
    const pending = this.byDeployment.get(pod.deployment);
    if (!pending) return;
    pending.created.delete(pod.id);
    pending.deleted.delete(pod.id);
    this.dropIfEmpty(pod.deployment, pending);
  }

  /** The deployment's pods as they will be once the cache catches up with our writes. */
  apply(deployment: string, cached: readonly Pod[]): Pod[] {
    const pending = this.byDeployment.get(deployment);
    if (!pending) return [...cached];
    if (this.clock.now() >= pending.expiresAt) {
      this.byDeployment.delete(deployment);
      return [...cached];
    }
    const cachedIds = new Set(cached.map((pod) => pod.id));
    for (const id of pending.created.keys()) if (cachedIds.has(id)) pending.created.delete(id);
    for (const id of pending.deleted) if (!cachedIds.has(id)) pending.deleted.delete(id);
    this.dropIfEmpty(deployment, pending);
    return [...cached.filter((pod) => !pending.deleted.has(pod.id)), ...pending.created.values()];
  }

  clear(): void {
    this.byDeployment.clear();
  }

  private pendingFor(deployment: string): Pending {
    let pending = this.byDeployment.get(deployment);
    if (!pending) {
      pending = { created: new Map(), deleted: new Set(), expiresAt: 0 };
      this.byDeployment.set(deployment, pending);
    }
    return pending;
  }

  private dropIfEmpty(deployment: string, pending: Pending): void {
    if (pending.created.size === 0 && pending.deleted.size === 0) this.byDeployment.delete(deployment);
  }
}
