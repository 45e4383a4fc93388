import { z } from "zod";

/** Mixpeek `TaskStatusEnum` (also used for object, batch and bucket lifecycle states). */
export const TaskStatus = z.enum([
  "PENDING", "IN_PROGRESS", "PROCESSING", "COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED",
  "CANCELED", "UNKNOWN", "SKIPPED", "DRAFT", "ACTIVE", "ARCHIVED", "SUSPENDED",
]);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ["COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED", "CANCELED"];

export function isTerminalStatus(status: string): boolean {
  return (TERMINAL_TASK_STATUSES as readonly string[]).includes(status.toUpperCase());
}

/** Mixpeek `task_type` values (we create `api_buckets_batches_submit`; the rest are accepted in filters). */
export const TaskType = z.enum([
  "api_namespaces_create", "api_namespaces_delete", "api_namespaces_migrations_run", "api_buckets_objects_create",
  "api_buckets_delete", "api_buckets_batches_process", "api_buckets_batches_submit", "api_buckets_uploads_create",
  "api_buckets_uploads_confirm", "api_buckets_uploads_batch_confirm", "api_collections_documents_create",
  "api_collections_extraction_artifacts", "api_taxonomies_create", "api_taxonomies_execute", "api_taxonomies_materialize",
  "api_evaluations_run", "api_evaluations_dataset_create", "api_retrievers_publish", "api_collections_export",
  "engine_feature_extractor_run", "engine_inference_run", "engine_object_processing", "engine_cluster_build",
  "thumbnail", "video_segment", "audio_segment", "materialize", "plugin_custom", "model_custom",
]);
export type TaskType = z.infer<typeof TaskType>;

/** Per-job entry the worker writes under `additional_data.jobs[`${collection_id}:${object_id}`]`. */
export const TaskJobEntry = z.object({
  status: z.enum(["PROCESSING", "COMPLETED", "FAILED"]),
  segments_done: z.number().int(),
  segments_total: z.number().int(),
  documents_written: z.number().int().optional(),
  error: z.string().optional(),
});
export type TaskJobEntry = z.infer<typeof TaskJobEntry>;

/** `additional_data` of a processing task (see the task record convention in the server README). */
export const TaskAdditionalData = z.looseObject({
  batch_id: z.string(),
  bucket_id: z.string(),
  namespace_id: z.string(),
  collection_ids: z.array(z.string()),
  object_count: z.number().int(),
  jobs_total: z.number().int(),
  jobs: z.record(z.string(), TaskJobEntry),
  segments_done: z.number().int(),
  segments_total: z.number().int(),
  progress: z.number(),
  current_tier: z.number().int().optional(),
  total_tiers: z.number().int().optional(),
  sample_object_ids: z.array(z.string()).optional(),
});
export type TaskAdditionalData = z.infer<typeof TaskAdditionalData>;

/** The stored task record's `data` and the `TaskResponse` body (they are the same shape). */
export const TaskResponse = z.object({
  task_id: z.string(),
  task_type: z.string(),
  status: TaskStatus,
  inputs: z.array(z.unknown()).optional(),
  outputs: z.array(z.unknown()).optional(),
  additional_data: z.record(z.string(), z.unknown()).nullable().optional(),
  error: z.string().nullable().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
});
export type TaskResponse = z.infer<typeof TaskResponse>;

/** Body of `POST /v1/tasks/list` (besides the common list fields). */
export const TaskListFields = {
  status: z.union([TaskStatus, z.array(TaskStatus)]).nullish(),
  task_type: z.string().nullish(),
};
