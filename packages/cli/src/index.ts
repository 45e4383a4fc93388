export { buildProgram } from "./program.js";
export { startDev, type DevOptions, type RunningDev } from "./commands/dev.js";
export { formatTime, formatSearchHit } from "./format.js";
