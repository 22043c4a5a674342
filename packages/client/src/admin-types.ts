// The Admin client's argument and result types, and the config resource type ids.
import type { TopicPartitions } from "./assignors.js";
import type { BrokerInfo } from "./cluster.js";

export interface NewTopic {
  topic: string;
  /** -1: the broker's num.partitions. */
  numPartitions?: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor?: number;
  configs?: Readonly<Record<string, string>>;
}

export type ConfigResourceType = "topic" | "broker" | "broker-logger" | "group";
export const RESOURCE_TYPE: Record<ConfigResourceType, number> = { topic: 2, broker: 4, "broker-logger": 8, group: 32 };

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
  /** Kafka's ConfigSource id (1 dynamic topic, 4 static broker, 5 default, ...). */
  source: number;
}

export interface ConfigOp {
  name: string;
  value: string | null;
  op?: "set" | "delete" | "append" | "subtract";
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    assignment: TopicPartitions[];
  }[];
}

export interface ClusterDescription {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
}
