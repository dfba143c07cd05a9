// Schemas of the named volumes workers report (`/volumes/<volume>.<node>`, GET /volumes): which node holds
// which Docker volume, so that the scheduler sends a deployment's pods to the nodes that hold its data.
import Type from "typebox";
import { closed, timestamp } from "./common.js";

export const VolumeReport = closed(
  {
    name: Type.String({ description: "The Docker volume: `orchestra-<deployment>-<volume>`." }),
    node: Type.String({ description: "The node that holds it (volumes are local to their node)." }),
    deployment: Type.String(),
    volume: Type.String({ description: "The volume's name in the deployment's template." }),
    sizeBytes: Type.Optional(
      Type.Integer({ minimum: 0, description: "Bytes it holds, as its engine last measured them." }),
    ),
    inUse: Type.Boolean({ description: "A container on the node mounts it." }),
    purge: Type.Optional(
      Type.Boolean({
        description:
          "Its deployment was deleted with --purge-volumes: the worker removes it once no container uses it.",
      }),
    ),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  { title: "VolumeReport", description: "A named volume on a node, as its worker reports it." },
);

export const VolumeQuery = closed({
  node: Type.Optional(Type.String({ description: "Only the volumes on this node." })),
  deployment: Type.Optional(Type.String({ description: "Only the volumes of this deployment." })),
});

export const DeleteDeploymentQuery = closed({
  purgeVolumes: Type.Optional(
    Type.Boolean({
      description:
        "Also remove its named volumes: each worker removes them once no container uses them. Without it they " +
        "are kept (a deployment of the same name finds its data again).",
    }),
  ),
});
