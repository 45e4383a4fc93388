#!/usr/bin/env node
import { Command } from "commander";
import { registerModelCommands } from "./commands.js";

/** `scenecap-models`: the model commands on their own (the `scenecap` CLI registers the same ones). */
const program = new Command("scenecap-models").description("BLIP-2 model tools: pull, build, verify, caption");
registerModelCommands(program);
program.showHelpAfterError();
await program.parseAsync(process.argv);
