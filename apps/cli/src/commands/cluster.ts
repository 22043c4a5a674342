// gregor cluster: the cluster id, controller and brokers (kafka-cluster.sh cluster-id / kafka-broker-api-versions.sh).
import { Admin } from "@gregor/client";
import type { Command } from "commander";
import type { Io } from "../io.js";
import type { BootstrapOpts, Tool } from "../options.js";

interface ClusterOpts extends BootstrapOpts {
  clusterId?: boolean;
}

export const clusterTool: Tool = {
  name: "cluster",
  summary: "cluster id, controller, brokers",
  description: "Describe the cluster: id, controller, brokers.",
  examples: [
    "gregor cluster --bootstrap-server localhost:9092",
    "gregor cluster --bootstrap-server localhost:9092 --cluster-id",
  ],
  options: (cmd) => cmd.option("--cluster-id", "Print only the cluster id (like kafka-cluster.sh cluster-id)."),
  run: clusterCommand,
};

async function clusterCommand(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<ClusterOpts>();
  const admin = new Admin({ bootstrapBrokers: o.bootstrapServer, clientId: "gregor-cluster", retry: { retries: 3 } });
  try {
    const d = await admin.describeCluster();
    io.out(`Cluster ID: ${d.clusterId ?? "null"}\n`);
    if (o.clusterId) return 0;
    io.out(`Controller: ${d.controllerId}\n`);
    for (const b of d.brokers)
      io.out(`Broker: ${b.nodeId}\tHost: ${b.host}\tPort: ${b.port}\tRack: ${b.rack ?? "null"}\n`);
    return 0;
  } finally {
    await admin.close();
  }
}
