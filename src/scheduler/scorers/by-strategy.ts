// A scorer that follows the pod's placement strategy: one scorer for "spread" (the default), another for
// "binpack", so that one pipeline serves both.
import type { Scorer } from "../framework.js";

export function byStrategy(scorers: { spread: Scorer; binpack: Scorer }): Scorer {
  return (node, pod, state) =>
    pod.template.placement?.strategy === "binpack"
      ? scorers.binpack(node, pod, state)
      : scorers.spread(node, pod, state);
}
