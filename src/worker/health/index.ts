// Health checks of pods on a worker: probes, the verdict they add up to, and the per-container probers.
export {
  HealthMonitor,
  type HealthMonitorOptions,
  type HealthReport,
  type MonitoredContainer,
} from "./health-monitor.js";
export { HealthTracker, type HealthVerdict } from "./health-tracker.js";
export { type ProbeResult, type ProbeTarget, runProbe } from "./probe.js";
