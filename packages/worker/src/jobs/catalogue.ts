import { JobName, JobPayloads, QueueName } from "@scenecap/protocol";
import type { CollectionStore } from "@scenecap/store";
import type { z } from "zod";
import { PermanentJobError } from "../errors.js";
import { processObject, processObjectAbandoned, type JobContext } from "../pipeline/process-object.js";

/** A job handler: validated payload + context → result. Runners only deliver jobs to it. */
export type JobHandler<P = unknown, R = unknown> = (payload: P, ctx: JobContext) => Promise<R>;

/** Records the failure of a job that ended without its handler finishing: its process died on every attempt. */
export type AbandonedHandler<P = unknown> = (payload: P, reason: string, store: CollectionStore) => Promise<unknown>;

export interface HandlerRegistration {
  name: JobName;
  queue: QueueName;
  handler: JobHandler<never>;
  abandoned?: AbandonedHandler<never>;
}

/** Every job the worker runs. Adding a JobName to the protocol without a line here fails at startup. */
export const handlerRegistrations: HandlerRegistration[] = [
  {
    name: JobName.ProcessObject,
    queue: QueueName.Extraction,
    handler: processObject as JobHandler<never>,
    abandoned: processObjectAbandoned as AbandonedHandler<never>,
  },
];

export type HandlerMap = ReadonlyMap<string, HandlerRegistration>;

/** Builds the JobName → handler map; throws unless every JobName has exactly one handler (and no extras). */
export function buildHandlerMap(regs: readonly HandlerRegistration[] = handlerRegistrations): HandlerMap {
  const map = new Map<string, HandlerRegistration>();
  const known = new Set<string>(Object.values(JobName));
  for (const r of regs) {
    if (!known.has(r.name)) throw new Error(`handler registered for unknown job ${r.name}`);
    if (map.has(r.name)) throw new Error(`job ${r.name} has more than one handler`);
    map.set(r.name, r);
  }
  const missing = [...known].filter((n) => !map.has(n));
  if (missing.length > 0) throw new Error(`no handler for job(s): ${missing.join(", ")}`);
  return map;
}

function validPayload(name: string, payload: unknown): unknown {
  const schema = (JobPayloads as Record<string, z.ZodType>)[name];
  const parsed = schema ? schema.safeParse(payload) : { success: true as const, data: payload };
  if (!parsed.success) {
    throw new PermanentJobError("bad_payload", `invalid ${name} payload: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

/** Validates the payload against the catalogue schema and runs the job's handler. */
export async function dispatch(map: HandlerMap, name: string, payload: unknown, ctx: JobContext): Promise<unknown> {
  const reg = map.get(name);
  if (!reg) throw new PermanentJobError("bad_payload", `no handler for job ${name}`);
  return (reg.handler as JobHandler)(validPayload(name, payload), ctx);
}

/**
 * A job failed by its queue, not by its handler (its lease or lock ran out on the last attempt): lets the
 * job record the failure where its handler would have (for ProcessObject, the task). A payload that does
 * not validate has nothing to record.
 */
export async function recordAbandoned(map: HandlerMap, name: string, payload: unknown, reason: string, store: CollectionStore): Promise<void> {
  const reg = map.get(name);
  if (!reg?.abandoned) return;
  let data: unknown;
  try {
    data = validPayload(name, payload);
  } catch {
    return;
  }
  await (reg.abandoned as AbandonedHandler)(data, reason, store);
}

/** The queues this worker consumes (from the registrations). */
export function queuesOf(map: HandlerMap): QueueName[] {
  return [...new Set([...map.values()].map((r) => r.queue))];
}
