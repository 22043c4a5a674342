// Small helpers shared by the group API handlers (handlers/08..16, 42, 47). They take the few
// fields they read of the handlers' RequestContext (structurally), so the group coordinator does
// not import from handlers/ (the handlers sit above it).
import type { BrokerServices } from "../../services.js";
import { groupCoordinatorOf, type CallerInfo, type GroupCoordinator } from "./coordinator.js";

/** The part of a handler's RequestContext the group helpers read. */
export interface GroupCallContext {
  apiVersion: number;
  clientId: string | null;
  /** Remote address as `host:port`. */
  clientHost: string;
  services: BrokerServices;
}

export function callerOf(ctx: GroupCallContext): CallerInfo {
  return { version: ctx.apiVersion, clientId: ctx.clientId ?? "", clientHost: kafkaClientHost(ctx.clientHost) };
}

/** Kafka shows a member's host as "/" + address (InetAddress.toString with no host name). */
export function kafkaClientHost(hostPort: string): string {
  const i = hostPort.lastIndexOf(":");
  const host = i > 0 ? hostPort.slice(0, i) : hostPort;
  return `/${host.startsWith("::ffff:") ? host.slice(7) : host}`;
}

export function coordinator(ctx: Pick<GroupCallContext, "services">): GroupCoordinator {
  return groupCoordinatorOf(ctx.services);
}

/** True when the coordinator answered with a routing error instead of the API's response. */
export function isRoutingError(r: unknown): r is { errorCode: number } {
  return typeof r === "object" && r !== null && Object.keys(r).length === 1 && "errorCode" in r;
}
