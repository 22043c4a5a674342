// The contract every request handler follows: one file per API key (`NN-name.ts`) exporting a
// Handler; `index.ts` lists them, and that list also builds the ApiVersions response.
import type { ApiKey, RequestHeader } from "@gregor/protocol";

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol("NO_RESPONSE");
export type NoResponse = typeof NO_RESPONSE;

export interface RequestContext<Services = unknown> {
  header: RequestHeader;
  apiVersion: number;
  clientId: string | null;
  /** Unique per TCP connection, for logs and per-connection state. */
  connectionId: number;
  /** Remote address as `host:port` (ListGroups/DescribeGroups show it as the member host). */
  clientHost: string;
  /** Aborted when the connection closes (long-polling handlers stop waiting). */
  signal?: AbortSignal;
  /** Broker services (log manager, metadata, coordinators, config); typed by the broker. */
  services: Services;
}

export interface Handler<Req = any, Res = any, Services = any> {
  apiKey: ApiKey;
  /** Versions answered (and advertised in ApiVersions unless `advertise` narrows it). */
  minVersion: number;
  maxVersion: number;
  /** Advertised range when it differs from the implemented one (Produce is advertised from v0). */
  advertise?: { minVersion: number; maxVersion: number };
  /**
   * Handles a decoded request. Never throws for bad input: errors are per-partition / per-topic
   * error codes in the response. An unexpected throw becomes UNKNOWN_SERVER_ERROR and a log line.
   */
  handle(req: Req, ctx: RequestContext<Services>): Res | NoResponse | Promise<Res | NoResponse>;
  /** Response used when handle() throws unexpectedly: the request's shape with error codes set. */
  errorResponse?(req: Req, errorCode: number, ctx: RequestContext<Services>): Res;
}
