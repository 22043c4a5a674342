// Child process for dir-lock.test.ts: takes the lock of argv[2] (through LogManager.open, as a
// broker does), prints "locked", and holds it until killed.
import { LogManager } from "../../src/index.js";

await LogManager.open(process.argv[2]!);
process.stdout.write("locked\n");
setInterval(() => undefined, 60_000);
