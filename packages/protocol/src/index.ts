export * from "./filters.js";
export * from "./tasks.js";
export * from "./jobs.js";
