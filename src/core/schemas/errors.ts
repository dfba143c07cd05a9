// The body of every error response: `{"error", "message"}`, plus `field` when one field is to blame.
import Type from "typebox";
import { closed } from "./common.js";

export const ERROR_KINDS = [
  "BadRequest",
  "Unauthorized",
  "Forbidden",
  "NotFound",
  "Conflict",
  "PayloadTooLarge",
  "UnsupportedMediaType",
  "TooManyRequests",
  "Unavailable",
  "Internal",
] as const;

export const ErrorBody = closed(
  {
    error: Type.Enum(ERROR_KINDS),
    message: Type.String({ description: "Readable; starts with the offending field, e.g. `replicas: ...`." }),
    field: Type.Optional(
      Type.String({
        description: "The offending field, for a validation error (e.g. `ports[1].containerPort`).",
      }),
    ),
  },
  { title: "Error", description: "What went wrong." },
);
