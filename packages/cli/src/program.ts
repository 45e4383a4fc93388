import { Command } from "commander";
import { registerModelCommands } from "@scenecap/blip2";
import { registerDevCommand } from "./commands/dev.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerWorkerCommand } from "./commands/worker.js";
import { registerKeysCommand } from "./commands/keys.js";
import { registerIngestCommand } from "./commands/ingest.js";
import { registerSearchCommand } from "./commands/search.js";
import { registerQueueCommand } from "./commands/queue.js";
import { VERSION } from "./version.js";

/** The `scenecap` command line. */
export function buildProgram(): Command {
  const program = new Command("scenecap")
    .description("Self-hosted, Mixpeek-compatible video and image scene captioning")
    .version(VERSION)
    .showHelpAfterError();
  registerDevCommand(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerKeysCommand(program);
  registerIngestCommand(program);
  registerSearchCommand(program);
  registerQueueCommand(program);
  registerModelCommands(program);
  return program;
}
