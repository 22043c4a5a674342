// The admin HTTP endpoint (`gregor.admin.port`, default 9644; 0 = ephemeral, -1 = off):
// GET /metrics (Prometheus text) and GET /health. Started as a broker module; a port already in
// use is logged and the broker runs on without it.
import { createServer, type Server } from "node:http";
import { parseListeners } from "../config/broker-config.js";
import type { BrokerModule, BrokerServices } from "../services.js";
import { GROUP_COORDINATOR_MODULE, type GroupCoordinator } from "../group/driver/coordinator.js";
import type { LatencyHistograms } from "./histogram.js";
import { renderMetrics } from "./render.js";

export const ADMIN_HTTP_MODULE = "admin-http";

export interface AdminHttp {
  /** Bound port, or -1 when disabled or the bind failed. */
  readonly port: number;
  /** The broker's latency histograms (services.metrics.latency). */
  readonly histograms: LatencyHistograms;
  close(): Promise<void>;
}

/** The admin endpoint binds where the Kafka listener binds (127.0.0.1 in tests, all interfaces for ""). */
function adminHost(services: BrokerServices): string {
  const l = parseListeners(services.config.listeners)?.[0];
  return l === undefined || l.host === "" ? "0.0.0.0" : l.host;
}

export async function startAdminHttp(services: BrokerServices, host = adminHost(services)): Promise<AdminHttp> {
  const histograms = services.metrics.latency;
  const configured = services.config["gregor.admin.port"];
  if (configured < 0) return { port: -1, histograms, close: async () => {} };
  const groups = (): GroupCoordinator | undefined =>
    services.hasModule(GROUP_COORDINATOR_MODULE)
      ? services.module<GroupCoordinator>(GROUP_COORDINATOR_MODULE)
      : undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") {
      res.writeHead(405).end();
    } else if (path === "/metrics") {
      try {
        const body = renderMetrics(services, groups());
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(body);
      } catch (err) {
        services.logger.error({ err }, "rendering /metrics failed");
        res.writeHead(500).end();
      }
    } else if (path === "/health") {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ status: services.closing ? "closing" : "ok", nodeId: services.nodeId }));
    } else {
      res.writeHead(404).end();
    }
  });
  server.maxConnections = 64;
  const port = await new Promise<number>((resolve) => {
    server.once("error", (err) => {
      services.logger.warn({ err, port: configured }, "admin HTTP endpoint not started");
      resolve(-1);
    });
    server.listen(configured, host, () => {
      const a = server.address();
      resolve(typeof a === "object" && a !== null ? a.port : -1);
    });
  });
  server.unref();
  return {
    port,
    histograms,
    close: () => new Promise<void>((resolve) => (port < 0 ? resolve() : server.close(() => resolve()))),
  };
}

export const adminHttpModule: BrokerModule<AdminHttp> = {
  name: ADMIN_HTTP_MODULE,
  start: (services) => startAdminHttp(services),
  close: (instance) => instance.close(),
};
