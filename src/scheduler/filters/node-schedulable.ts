// Feasibility: the node is not cordoned (`schedulable: false`, from `orchestra cordon`); its running pods
// stay, new ones go elsewhere.
import { type Filter, feasible, infeasible } from "../framework.js";

export const nodeSchedulable: Filter = (node) =>
  node.schedulable === false ? infeasible("cordoned") : feasible;
