// The local address a node's own connections to other nodes start from (raft, controller channel,
// replica fetchers). When a node binds its listeners to one specific loopback address (the local
// cluster can give node N its own 127.0.0.x), its outgoing connections come from that address too,
// so a network fault between two such addresses (startCluster's isolate/partition) cuts both
// directions of their traffic. Any other listener host: undefined (the OS picks).
import type { BrokerConfig } from "../config/broker-config.js";
import { listeners } from "../config/kraft.js";

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export function outboundLocalAddress(config: BrokerConfig): string | undefined {
  const host = listeners(config)[0]?.host ?? "";
  return LOOPBACK.test(host) && host !== "127.0.0.1" ? host : undefined;
}
