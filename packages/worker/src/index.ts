export { PermanentJobError, TransientJobError, isPermanent, errorMessage, type PermanentErrorCode } from "./errors.js";
export { blockedRange, resolveAllowedHost, BlockedAddressError, type LookupFn, type ResolvedHost } from "./fetch/ssrf.js";
export { fetchToFile, DEFAULT_FETCH_LIMITS, type FetchLimits, type FetchResult } from "./fetch/fetch-source.js";
export { Batcher, type BatcherOptions, type BatchInfo } from "./inference/batcher.js";
export { CaptionerPool, ownedImage, type CaptionerPoolOptions, type CaptionRequest } from "./inference/captioner-pool.js";
export type { RawImage } from "./inference/thread-protocol.js";
export {
  processObject,
  sourceOf,
  type JobContext,
  type PipelineConfig,
  type ProcessObjectResult,
} from "./pipeline/process-object.js";
export { documentId, thumbnailKey, chooseCaption, passthroughFields, type PassthroughSpec } from "./pipeline/documents.js";
export { resolveModelDir } from "./pipeline/models.js";
export { applyJobEntry, recordJobState, jobKey, type JobEntry } from "./pipeline/task-state.js";
export {
  buildHandlerMap,
  dispatch,
  handlerRegistrations,
  queuesOf,
  recordAbandoned,
  type AbandonedHandler,
  type HandlerMap,
  type HandlerRegistration,
  type JobHandler,
} from "./jobs/catalogue.js";
export { createBullWorker, type BullRunner, type BullWorkerOptions, type JobDeps } from "./runners/bull.js";
export { createLocalRunner, type LocalRunner, type LocalRunnerOptions } from "./runners/local.js";
export { loadWorkerConfig, WorkerEnv, WorkerConfigError, type WorkerConfig } from "./config.js";
export { startWorker, type RunningWorker, type StartWorkerDeps } from "./start.js";
