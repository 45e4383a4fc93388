import type { Command } from "commander";
import { loadConfig, startServer } from "@scenecap/server";

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("run the API server (fleet mode: REDIS_URL + DATABASE_URL; see the README for every variable)")
    .option("-p, --port <port>", "port (default $PORT or 8080)", (v) => Number.parseInt(v, 10))
    .option("--host <host>", "interface to bind (default $HOST or 0.0.0.0)")
    .action(async (opts: { port?: number; host?: string }) => {
      const config = loadConfig();
      const running = await startServer({
        ...config,
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.host ? { host: opts.host } : {}),
      });
      console.log(`scenecap server listening on ${running.url} (queue: ${config.queue.kind})`);
    });
}
