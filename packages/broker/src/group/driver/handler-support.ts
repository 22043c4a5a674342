// Small helpers shared by the group API handlers (handlers/08..16, 42, 47).
import type { RequestContext } from "../../handlers/types.js";
import type { BrokerServices } from "../../services.js";
import { groupCoordinatorOf, type CallerInfo, type GroupCoordinator } from "./coordinator.js";

export function callerOf(ctx: RequestContext<BrokerServices>): CallerInfo {
  return { version: ctx.apiVersion, clientId: ctx.clientId ?? "", clientHost: kafkaClientHost(ctx.clientHost) };
}

/** Kafka shows a member's host as "/" + address (InetAddress.toString with no host name). */
export function kafkaClientHost(hostPort: string): string {
  const i = hostPort.lastIndexOf(":");
  const host = i > 0 ? hostPort.slice(0, i) : hostPort;
  return `/${host.startsWith("::ffff:") ? host.slice(7) : host}`;
}

export function coordinator(ctx: RequestContext<BrokerServices>): GroupCoordinator {
  return groupCoordinatorOf(ctx.services);
}

/** True when the coordinator answered with a routing error instead of the API's response. */
export function isRoutingError(r: unknown): r is { errorCode: number } {
  return typeof r === "object" && r !== null && Object.keys(r).length === 1 && "errorCode" in r;
}
