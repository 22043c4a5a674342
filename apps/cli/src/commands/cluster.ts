// gregor cluster: the cluster id, controller and brokers (kafka-cluster.sh cluster-id / kafka-broker-api-versions.sh).
import { Admin } from "@gregor/client";
import { BOOTSTRAP, HELP, bootstrapOf, parseArgs, usage, type FlagSpec } from "../args.js";
import type { Io } from "../io.js";

const SPECS: FlagSpec[] = [
  BOOTSTRAP,
  { flag: "--cluster-id", desc: "Print only the cluster id (like kafka-cluster.sh cluster-id)." },
  HELP,
];

export async function clusterCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs("cluster", SPECS, argv);
  if (a.has("--help")) {
    io.out(
      usage("cluster", "Describe the cluster: id, controller, brokers.", SPECS, [
        "gregor cluster --bootstrap-server localhost:9092",
        "gregor cluster --bootstrap-server localhost:9092 --cluster-id",
      ]),
    );
    return 0;
  }
  const admin = new Admin({ bootstrapBrokers: bootstrapOf(a), clientId: "gregor-cluster", retry: { retries: 3 } });
  try {
    const d = await admin.describeCluster();
    io.out(`Cluster ID: ${d.clusterId ?? "null"}\n`);
    if (a.has("--cluster-id")) return 0;
    io.out(`Controller: ${d.controllerId}\n`);
    for (const b of d.brokers)
      io.out(`Broker: ${b.nodeId}\tHost: ${b.host}\tPort: ${b.port}\tRack: ${b.rack ?? "null"}\n`);
    return 0;
  } finally {
    await admin.close();
  }
}
