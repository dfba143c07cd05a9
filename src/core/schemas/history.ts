// Schemas of a deployment's revisions (`/revisions/<deployment>/<n>`, GET .../history) and of going back
// to one of them (POST .../rollback).
import Type from "typebox";
import { closed, timestamp } from "./common.js";
import { Deployment, PodTemplate } from "./deployment.js";

/** One pod template a deployment has had, kept for `rollout history` and rollbacks. */
export const Revision = closed(
  {
    revision: Type.Integer({
      minimum: 1,
      description:
        "1, 2, ...: a template that comes back (a rollback) gets the next number, as in Kubernetes.",
    }),
    hash: Type.String({ description: "Revision hash of the template." }),
    template: PodTemplate,
    createdAt: timestamp(),
    cause: Type.String({ description: "Why it appeared: what changed, or which revision it rolls back to." }),
    completedAt: Type.Optional(
      timestamp(
        "When a rollout of it first completed: only such revisions are targets of an automatic rollback.",
      ),
    ),
  },
  { title: "Revision", description: "A pod template the deployment has had." },
);

/** The body of POST /deployments/{name}/rollback; it may be left out. */
export const RollbackRequest = Type.Union(
  [
    closed(
      {
        toRevision: Type.Optional(
          Type.Integer({
            minimum: 1,
            description: "The revision to go back to; default: the one before the current template.",
            errorMessage: "must be a revision number (an integer from 1)",
          }),
        ),
      },
      { title: "RollbackRequest" },
    ),
    Type.Null(),
  ],
  { errorMessage: "must be an object" },
);

export const RollbackResult = closed(
  {
    deployment: Deployment,
    toRevision: Type.Integer({ description: "The revision whose template the deployment now has." }),
  },
  { title: "RollbackResult", description: "The deployment as written; the controller rolls it out." },
);
