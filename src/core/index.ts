// The core package's public surface: the model, its validation and revision hash, errors, clock and logs.
export * from "./clock.js";
export * from "./errors.js";
export * from "./logger.js";
export * from "./revision.js";
export * from "./types.js";
export * from "./validation.js";
