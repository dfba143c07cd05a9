// The scheduler: a pure decision (schedule + pipeline of filters and scorers) and the Scheduler component.
export { type CommitOptions, commitPodWrites, type PodWrite, type PodWriteOutcome } from "./binding.js";
export { avoidNodes } from "./filters/avoid-nodes.js";
export { constraintsMatch, satisfies } from "./filters/constraints-match.js";
export { nodeReady } from "./filters/node-ready.js";
export { nodeSchedulable } from "./filters/node-schedulable.js";
export { resourcesFit } from "./filters/resources-fit.js";
export {
  type Filter,
  type FilterResult,
  feasible,
  infeasible,
  type Pipeline,
  type Scorer,
} from "./framework.js";
export { defaultPipeline } from "./pipeline.js";
export {
  type Binding,
  describeReasons,
  NO_READY_NODES,
  type ScheduleResult,
  schedule,
  type Unschedulable,
} from "./schedule.js";
export { Scheduler, type SchedulerOptions } from "./scheduler.js";
export { byStrategy } from "./scorers/by-strategy.js";
export { fewestPods } from "./scorers/fewest-pods.js";
export { leastAllocated } from "./scorers/least-allocated.js";
export { mostAllocated } from "./scorers/most-allocated.js";
export { mostPods } from "./scorers/most-pods.js";
export { spreadDeployment } from "./scorers/spread.js";
export { type NodeUsage, SchedulingState, type Snapshot } from "./state.js";
