export { OnnxBlip2Model } from "./blip2-model.js";
export type { Blip2GraphFiles, VisionDims } from "./blip2-model.js";
export { GraphSession, ModelInputError } from "./session.js";
export { cudaProviderAvailable, executionProviders, ortBinaryDir, resolveDevice, sessionOptions } from "./providers.js";
export type { ConcreteDevice } from "./providers.js";
