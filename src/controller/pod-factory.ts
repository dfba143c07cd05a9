// Makes the pods of a deployment: a unique random id (the store key), a readable `<deployment>-<suffix>`
// name, the deployment's template and revision hash, and the initial status.
import { randomBytes, randomInt } from "node:crypto";
import { podTemplateOf } from "../core/revision.js";
import type { Deployment, Pod } from "../core/types.js";

/** No vowels (so no words) and no look-alikes (0/o, 1/l), as in Kubernetes' name suffixes. */
const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const SUFFIX_LENGTH = 5;

/** 10 random hex characters: 2^40 ids, so a collision (a failed create, retried) is vanishingly rare. */
export function newPodId(): string {
  return randomBytes(5).toString("hex");
}

export function newPodSuffix(): string {
  let suffix = "";
  for (let i = 0; i < SUFFIX_LENGTH; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return suffix;
}

/** A new pod of `deployment`; its name avoids (and is added to) `takenNames`. `now` is an ISO time. */
export function newPod(deployment: Deployment, takenNames: Set<string>, now: string): Pod {
  let name: string;
  do name = `${deployment.name}-${newPodSuffix()}`;
  while (takenNames.has(name));
  takenNames.add(name);
  return {
    id: newPodId(),
    name,
    deployment: deployment.name,
    hash: deployment.hash,
    template: podTemplateOf(deployment),
    status: { phase: "Pending", restarts: 0 },
    createdAt: now,
    updatedAt: now,
  };
}
