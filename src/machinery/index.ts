// The control-plane machinery shared by the controller and the scheduler (and any later loop).
export { Backoff, type BackoffOptions } from "./backoff.js";
export { Informer, type InformerHandlers, type InformerOptions } from "./informer.js";
export { LeaderLoop, type LeaderLoopOptions } from "./leader-loop.js";
export { Reconciler, type ReconcilerOptions } from "./reconciler.js";
export { WorkQueue, type WorkQueueOptions } from "./work-queue.js";
