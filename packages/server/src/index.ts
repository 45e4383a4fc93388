export { createServer, type CreateServerOptions } from "./app.js";
export { toApiError } from "./errors.js";
export { startServer, type RunningServer } from "./main.js";
export { loadConfig, defineConfig, EnvSchema, ConfigError, type ServerConfig } from "./config.js";
export { BullJobQueue, LocalJobQueue, type JobQueue, type BullJobQueueOptions } from "./queue.js";
export {
  QUEUE_STATES, QueueAdminUnsupportedError, QueueStatusResponse, QueueJobSummary, bullStatus, bullListJobs, bullRetryFailed,
  type QueueAdmin, type QueueState, type QueueCounts, type QueueStatus,
} from "./queue-admin.js";
export { createApiKey, seedApiKeys, hashApiKey, type CreatedApiKey } from "./auth.js";
export { ApiError } from "./errors.js";
export { BlobSigner, resolveBlobRefs, decodeBlobData } from "./blobs.js";
export { buildOpenApi } from "./http.js";
export { VERSION } from "./version.js";
