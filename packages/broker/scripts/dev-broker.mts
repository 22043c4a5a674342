import { startBroker } from "../src/index.js";
const b = await startBroker({
  dataDir: process.argv[2] ?? "/tmp/gb-data",
  port: Number(process.argv[3] ?? 19092),
  logLevel: "info",
});
console.log("BOOT", b.bootstrap, b.startupMs);
process.on("SIGTERM", async () => {
  await b.close();
  process.exit(0);
});
