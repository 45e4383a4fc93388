export * from "./pillow-resize.js";
export * from "./image-processor.js";
