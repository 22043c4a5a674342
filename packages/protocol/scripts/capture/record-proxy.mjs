#!/usr/bin/env node
// A recording TCP proxy between a Kafka client and a broker (here librdkafka's mock cluster).
// Every request and response frame is appended, in order, to a .frames file as hex, with the
// api key, version and correlation id. Broker addresses in responses (Metadata, FindCoordinator,
// DescribeCluster...) are rewritten from the upstream port to the proxy's port by a same-length
// byte patch of "127.0.0.1" + int32 port, so the client keeps talking through the proxy.
//
//   node record-proxy.mjs --upstream 127.0.0.1:PORT --listen PORT --out FILE
// Stops on SIGTERM/SIGINT. Listens on 127.0.0.1 only.
import { appendFileSync, writeFileSync } from "node:fs";
import net from "node:net";

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1]]] : [])),
);
const [upHost, upPortText] = String(args.upstream).split(":");
const upPort = Number(upPortText);
const listenPort = Number(args.listen);
const out = String(args.out);
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
writeFileSync(out, "");

const hostBytes = Buffer.from(upHost, "latin1");
function rewritePorts(frame) {
  const needle = Buffer.alloc(hostBytes.length + 4);
  hostBytes.copy(needle);
  needle.writeInt32BE(upPort, hostBytes.length);
  let n = 0;
  for (let at = frame.indexOf(needle); at >= 0; at = frame.indexOf(needle, at + needle.length)) {
    frame.writeInt32BE(listenPort, at + hostBytes.length);
    n++;
  }
  return n;
}

let connections = 0;
let seq = 0;

function record(conn, kind, apiKey, apiVersion, correlationId, frame, note = "") {
  appendFileSync(
    out,
    `# ${kind} conn=${conn} seq=${seq++} apiKey=${apiKey} apiVersion=${apiVersion} correlationId=${correlationId}${note}\n${frame.toString("hex")}\n`,
  );
}

/** Splits a byte stream into size-prefixed frames; calls onFrame(frameWithoutSizePrefix). */
function framer(onFrame) {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (size < 0 || size > MAX_FRAME_BYTES) throw new Error(`bad frame size ${size}`);
      if (pending.length < 4 + size) break;
      onFrame(Buffer.from(pending.subarray(4, 4 + size)));
      pending = pending.subarray(4 + size);
    }
  };
}

function withSize(frame) {
  const b = Buffer.allocUnsafe(4 + frame.length);
  b.writeInt32BE(frame.length, 0);
  frame.copy(b, 4);
  return b;
}

const server = net.createServer((client) => {
  const conn = ++connections;
  const inflight = new Map();
  const upstream = net.connect(upPort, upHost);
  client.on(
    "data",
    framer((frame) => {
      const apiKey = frame.readInt16BE(0);
      const apiVersion = frame.readInt16BE(2);
      const correlationId = frame.readInt32BE(4);
      inflight.set(correlationId, [apiKey, apiVersion]);
      record(conn, "request", apiKey, apiVersion, correlationId, frame);
      upstream.write(withSize(frame));
    }),
  );
  upstream.on(
    "data",
    framer((frame) => {
      const correlationId = frame.readInt32BE(0);
      const [apiKey, apiVersion] = inflight.get(correlationId) ?? [-1, -1];
      inflight.delete(correlationId);
      const patched = rewritePorts(frame);
      record(conn, "response", apiKey, apiVersion, correlationId, frame, patched > 0 ? ` rewrotePorts=${patched}` : "");
      client.write(withSize(frame));
    }),
  );
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("close", close);
  upstream.on("close", close);
  client.on("error", close);
  upstream.on("error", close);
});

server.listen(listenPort, "127.0.0.1", () =>
  console.error(`record-proxy: 127.0.0.1:${listenPort} -> ${upHost}:${upPort}, writing ${out}`),
);
const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 200).unref();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
