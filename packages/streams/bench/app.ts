// One bench instance as its own process: TOPOLOGY (map-filter | count), APP_ID, INPUT, OUTPUT.
import { KafkaStreams } from "@gregor/streams";
import { countByKey, handWritten, mapFilter } from "./topologies.js";

const env = process.env;
if (env["TOPOLOGY"] === "hand") {
  let stop = false;
  process.once("SIGTERM", () => {
    stop = true;
  });
  console.log("STATE RUNNING");
  await handWritten(env["BOOTSTRAP"]!, env["INPUT"]!, env["OUTPUT"]!, () => stop);
  process.exit(0);
}
const build = env["TOPOLOGY"] === "count" ? countByKey : mapFilter;
const streams = new KafkaStreams(build(env["INPUT"]!, env["OUTPUT"]!), {
  applicationId: env["APP_ID"]!,
  bootstrapServers: [env["BOOTSTRAP"]!],
  commitIntervalMs: 1000,
  consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 300 },
});
streams.onStateChange((next) => {
  if (next === "RUNNING") console.log(`RESTORED ${JSON.stringify(streams.stats())}`);
  console.log(`STATE ${next}`);
});
await streams.start();
process.once("SIGTERM", () => void streams.close().then(() => process.exit(0)));
