import type { Command } from "commander";
import { loadWorkerConfig, startWorker } from "@scenecap/worker";

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("run a worker (BullMQ on REDIS_URL, store on DATABASE_URL); SIGTERM finishes active jobs")
    .option("-c, --concurrency <n>", "jobs at once (default $WORKER_CONCURRENCY or 1)", (v) => Number.parseInt(v, 10))
    .option("--device <device>", "auto | cpu | cuda | webgpu (default $DEVICE or auto)")
    .option("--precision <p>", "fp32 | fp16 | int8 | int4 (default $PRECISION or fp32)")
    .option("--batch-size <n>", "largest inference batch (default $BATCH_SIZE or 8)", (v) => Number.parseInt(v, 10))
    .action(async (opts: { concurrency?: number; device?: string; precision?: string; batchSize?: number }) => {
      // Flags win over the environment; both go through the worker's one config schema.
      const env = { ...process.env };
      if (opts.concurrency !== undefined) env.WORKER_CONCURRENCY = String(opts.concurrency);
      if (opts.device) env.DEVICE = opts.device;
      if (opts.precision) env.PRECISION = opts.precision;
      if (opts.batchSize !== undefined) env.BATCH_SIZE = String(opts.batchSize);
      const worker = await startWorker(loadWorkerConfig(env));
      await worker.stopped;
      process.exit(0);
    });
}
