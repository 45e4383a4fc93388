export * from "./logits-processors.js";
export * from "./stopping.js";
export * from "./config.js";
export * from "./beam-search.js";
export * from "./generate.js";
