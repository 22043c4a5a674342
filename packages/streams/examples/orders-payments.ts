// A stream-table join: orders (key: order id, JSON) enriched with the customer table (key:
// customer id), re-keyed by customer first (a repartition topic appears), then joined with the
// latest payment per order (a KTable-KTable join). Against `pnpm start`:
//   pnpm exec tsx --conditions=source packages/streams/examples/orders-payments.ts
// It creates its topics, writes a few customers, orders and payments, prints the joined output.
import { Admin, Consumer, Producer } from "@gregor/client";
import { KafkaStreams, Serdes, StreamsBuilder } from "@gregor/streams";

interface Order {
  orderId: string;
  customerId: string;
  amount: number;
}
interface Customer {
  name: string;
  country: string;
}
interface Payment {
  orderId: string;
  paid: number;
}

const bootstrap = process.env["BOOTSTRAP"] ?? "localhost:9092";
const run = Date.now().toString(36);
const [orders, customers, payments, enriched, settled] = [
  "orders",
  "customers",
  "payments",
  "orders-enriched",
  "orders-settled",
].map((t) => `${t}-${run}`) as [string, string, string, string, string];

const admin = new Admin({ bootstrapBrokers: [bootstrap] });
await admin.createTopics(
  [orders, customers, payments, enriched, settled].map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })),
);
await admin.close();

const str = Serdes.string();
const builder = new StreamsBuilder();
const customerTable = builder.table(customers, { key: str, value: Serdes.json<Customer>() });
const orderStream = builder.stream(orders, { key: str, value: Serdes.json<Order>() });
orderStream
  .selectKey((_orderId, order) => order.customerId)
  .join(customerTable, (order, customer) => ({ ...order, customer: customer.name, country: customer.country }))
  .to(enriched, { key: str, value: Serdes.json() });
const paymentTable = builder
  .stream(payments, { key: str, value: Serdes.json<Payment>() })
  .toTable({ name: "payments" });
orderStream
  .toTable({ name: "orders" })
  .leftJoin(paymentTable, (order, payment) => ({ ...order, paid: payment?.paid ?? 0 }))
  .toStream()
  .to(settled, { key: str, value: Serdes.json() });

const streams = new KafkaStreams(builder.build(), {
  applicationId: `orders-payments-${run}`,
  bootstrapServers: [bootstrap],
  commitIntervalMs: 200,
});
await streams.start();

const producer = new Producer({ bootstrapBrokers: [bootstrap] });
const json = (v: unknown) => JSON.stringify(v);
await producer.send(customers, [
  { key: "c1", value: json({ name: "Ada", country: "UK" }) },
  { key: "c2", value: json({ name: "Grace", country: "US" }) },
]);
await new Promise((r) => setTimeout(r, 500)); // let the table load before orders arrive
await producer.send(orders, [
  { key: "o1", value: json({ orderId: "o1", customerId: "c1", amount: 30 }) },
  { key: "o2", value: json({ orderId: "o2", customerId: "c2", amount: 12 }) },
]);
await producer.send(payments, [{ key: "o1", value: json({ orderId: "o1", paid: 30 }) }]);
await producer.close();

const reader = new Consumer({ bootstrapBrokers: [bootstrap], maxWaitMs: 100 });
reader.assign(
  [enriched, settled].flatMap((topic) =>
    [0, 1].map((partition) => ({ topic, partition, offset: "earliest" as const })),
  ),
);
const deadline = Date.now() + 10_000;
let seen = 0;
while (Date.now() < deadline && seen < 5) {
  for (const m of (await reader.nextBatch({ timeoutMs: 200 }))?.messages ?? []) {
    console.log(`${m.topic.replace(`-${run}`, "")}  ${m.key?.toString()}  ${m.value?.toString()}`);
    seen++;
  }
}
if (streams.error) console.error(`streams failed: ${streams.error.message}`);
await reader.close();
await streams.close();
