// Page-view sessionisation: views per user grouped into sessions (30 minutes of inactivity ends
// one), one final record per session once it closed (suppress). Against `pnpm start`:
//   pnpm exec tsx --conditions=source packages/streams/examples/page-view-sessions.ts
// It writes a few views with event timestamps to its own topics and prints the closed sessions.
import { Admin, Consumer, Producer } from "@gregor/client";
import {
  KafkaStreams,
  Serdes,
  SessionWindows,
  StreamsBuilder,
  Suppressed,
  sessionWindowedSerde,
} from "@gregor/streams";

const bootstrap = process.env["BOOTSTRAP"] ?? "localhost:9092";
const run = Date.now().toString(36);
const views = `page-views-${run}`;
const sessions = `user-sessions-${run}`;
const admin = new Admin({ bootstrapBrokers: [bootstrap] });
await admin.createTopics([views, sessions].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })));
await admin.close();

const str = Serdes.string();
const minute = 60_000;
const builder = new StreamsBuilder();
builder
  .stream(views, { key: str, value: str }) // key: user, value: page
  .groupByKey()
  .windowedBy(SessionWindows.ofInactivityGapAndGrace(30 * minute, 5 * minute))
  .aggregate(
    () => [] as string[],
    (_user, page, pages) => [...pages, page],
    (_user, a, b) => [...a, ...b],
    { name: "sessions", value: Serdes.json<string[]>() },
  )
  .suppress(Suppressed.untilWindowCloses())
  .toStream()
  .to(sessions, { key: sessionWindowedSerde(str), value: Serdes.json<string[]>() });

const streams = new KafkaStreams(builder.build(), {
  applicationId: `page-view-sessions-${run}`,
  bootstrapServers: [bootstrap],
  commitIntervalMs: 200,
});
await streams.start();

const t0 = Date.UTC(2026, 0, 1, 9, 0);
const at = (minutes: number) => t0 + minutes * minute;
const producer = new Producer({ bootstrapBrokers: [bootstrap] });
await producer.send(views, [
  { key: "ann", value: "/home", timestamp: at(0) },
  { key: "ann", value: "/pricing", timestamp: at(10) },
  { key: "bob", value: "/home", timestamp: at(12) },
  { key: "ann", value: "/signup", timestamp: at(35) }, // within 30 min of /pricing: same session
  { key: "bob", value: "/docs", timestamp: at(70) }, // 58 min after /home: a new session
  { key: "ann", value: "/home", timestamp: at(200) }, // moves stream time: earlier sessions close
]);
await producer.close();

const reader = new Consumer({ bootstrapBrokers: [bootstrap], maxWaitMs: 100 });
reader.assign([{ topic: sessions, partition: 0, offset: "earliest" }]);
const keySerde = sessionWindowedSerde(str);
const deadline = Date.now() + 10_000;
let seen = 0;
while (Date.now() < deadline && seen < 3) {
  for (const m of (await reader.nextBatch({ timeoutMs: 200 }))?.messages ?? []) {
    const key = keySerde.deserialize(sessions, m.key)!;
    const span = `${new Date(key.window.start).toISOString().slice(11, 16)}-${new Date(key.window.end).toISOString().slice(11, 16)}`;
    console.log(`${key.key} ${span} ${m.value?.toString()}`);
    seen++;
  }
}
await reader.close();
if (streams.error) console.error(`streams failed: ${streams.error.message}`);
await streams.close();
