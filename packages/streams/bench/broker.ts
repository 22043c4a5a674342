// A single in-memory Gregor broker in its own process for the streams bench; prints its bootstrap.
import { startBroker } from "@gregor/broker";

const broker = await startBroker({
  dataDir: ":memory:",
  port: 0,
  config: { "group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 1000 },
});
console.log(`BOOTSTRAP ${broker.bootstrap}`);
process.once("SIGTERM", () => void broker.close().then(() => process.exit(0)));
