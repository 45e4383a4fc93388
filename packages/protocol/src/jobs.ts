import { z } from "zod";

/**
 * The job catalogue: every queue, job name and payload shared by the server (producer) and the
 * worker (consumer). The worker refuses to start unless each JobName has exactly one handler.
 */
export const QueueName = {
  /** One job per (batch, collection, object): fetch → probe → segment → caption → write documents. */
  Extraction: "extraction",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  ProcessObject: "ProcessObject",
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Feature extractor as stored on the collection (`feature_extractor` of CreateCollectionRequest). */
export const ExtractorSpec = z.object({
  feature_extractor_name: z.string(),
  version: z.string().default("v1"),
  parameters: z.record(z.string(), z.unknown()).default({}),
  input_mappings: z.record(z.string(), z.unknown()).optional(),
});
export type ExtractorSpec = z.infer<typeof ExtractorSpec>;

/**
 * Payload of `ProcessObject`. Ids only (plus the extractor snapshot taken at submit time): the worker
 * reads the object, its blobs and the collection from the store, so a retried job sees current data.
 */
export const ProcessObjectPayload = z.object({
  namespace_id: z.string(),
  task_id: z.string(),
  batch_id: z.string(),
  bucket_id: z.string(),
  object_id: z.string(),
  collection_id: z.string(),
  extractor: ExtractorSpec,
});
export type ProcessObjectPayload = z.infer<typeof ProcessObjectPayload>;

export const JobPayloads = {
  [JobName.ProcessObject]: ProcessObjectPayload,
} as const satisfies Record<JobName, z.ZodType>;

/** Deterministic BullMQ job id: a resubmitted batch never enqueues the same work twice. */
export function processObjectJobId(p: Pick<ProcessObjectPayload, "batch_id" | "collection_id" | "object_id">): string {
  return `${p.batch_id}__${p.collection_id}__${p.object_id}`; // BullMQ ids may not contain ":"
}

/** Per-job options in one place (attempts, backoff, retention). */
export const defaultJobOptions = {
  attempts: 3,
  backoff: { type: "exponential", delay: 5_000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
} as const;

/** Progress reported with `job.updateProgress` and mirrored into the task. */
export const JobProgress = z.object({ segments_done: z.number().int(), segments_total: z.number().int() });
export type JobProgress = z.infer<typeof JobProgress>;
