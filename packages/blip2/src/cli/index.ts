export { registerModelCommands, resolveModelDir, type CliIo } from "./commands.js";
export { verifyFixture, type VerifyCheck, type VerifyOptions } from "./verify.js";
