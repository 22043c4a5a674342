// The CONTROLLER listener: one port for everything a controller speaks, in Kafka's framing —
// Kafka APIs (ApiVersions, BrokerRegistration, BrokerHeartbeat, AlterPartition, ...) answered in
// request order per connection, and raft's messages (a Gregor-internal key, no response).
// It is not the broker's BrokerServer: that one is built on BrokerServices (topic manager, append
// waiters) and decodes every frame with a generated codec, which the internal raft key has not.
// Its connections share the broker's PipelinedConnection (ordering, backpressure, error answers).
import { createServer, type Server, type Socket } from "node:net";
import { apiCodec, decodeRequestFrame } from "@gregor/protocol";
import { decodeMessages, type Message } from "@gregor/raft";
import type { Logger } from "pino";
import type { Handler, RequestContext } from "../../handlers/types.js";
import { PipelinedConnection } from "../../server/connection.js";
import { listenExclusive } from "../../server/server.js";
import { RAFT_MESSAGES_API_KEY } from "./raft-frame.js";

const API_VERSIONS = 18;
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

export interface ControllerListenerOptions<Services> {
  host: string;
  port: number;
  handlers: readonly Handler[];
  services: Services;
  logger: Logger;
  /** Raft messages received on any connection. */
  onRaftMessages: (msgs: Message[]) => void;
  /** This quorum's identity (`quorumIdentity`): raft frames from another cluster or voter set are refused. */
  raftIdentity: string;
  maxFrameBytes: number;
  /** Requests queued per connection before reading pauses. */
  maxInFlight: number;
}

class ControllerConnection<Services> extends PipelinedConnection<Services> {
  constructor(
    id: number,
    socket: Socket,
    private readonly listener: ControllerListener<Services>,
    private readonly options: ControllerListenerOptions<Services>,
  ) {
    super(id, socket, listener.logger, options.maxFrameBytes, options.maxInFlight, HIGH_WATER_BYTES);
  }

  protected onRequest(frame: Buffer, apiKey: number, apiVersion: number): void {
    if (apiKey === RAFT_MESSAGES_API_KEY) {
      this.onRaftFrame(frame, apiVersion);
      return;
    }
    const handler = apiKey >= 0 ? this.listener.table[apiKey] : undefined;
    if (handler === undefined || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS && handler !== undefined && apiVersion > handler.maxVersion) {
        this.answerNewerApiVersions(handler, frame.readInt32BE(4), this.context(apiVersion, null));
        return;
      }
      this.reject("unsupported api key or version", apiKey, apiVersion);
      return;
    }
    let req: unknown;
    let ctx: RequestContext<Services>;
    try {
      const decoded = decodeRequestFrame(frame);
      req = apiCodec(apiKey)!.decodeRequest(decoded.body, apiVersion);
      ctx = this.context(apiVersion, decoded.header);
    } catch (e) {
      this.reject(`malformed request: ${(e as Error).message}`, apiKey, apiVersion);
      return;
    }
    this.run(handler, req, ctx);
  }

  private onRaftFrame(frame: Buffer, apiVersion: number): void {
    let msgs: Message[];
    let identity: string | null;
    try {
      const decoded = decodeRequestFrame(frame);
      identity = decoded.header.clientId ?? null;
      msgs = decodeMessages(frame.subarray(decoded.body.pos));
    } catch (e) {
      this.reject(`undecodable raft frame: ${(e as Error).message}`, RAFT_MESSAGES_API_KEY, apiVersion);
      return;
    }
    if (identity !== this.options.raftIdentity) {
      // Kafka answers such a peer INCONSISTENT_CLUSTER_ID / INCONSISTENT_VOTER_SET; raft messages have
      // no answer, so the connection is closed and the mismatch logged where an operator looks.
      this.logger.error(
        { client: this.clientHost, peer: identity, local: this.options.raftIdentity },
        "refusing raft messages from a node of another quorum: cluster id or controller.quorum.voters differ " +
          "(peer and local are `clusterId;voters`); give every controller the same controller.quorum.voters " +
          "and format them with the same cluster id",
      );
      this.reject("raft frame from another quorum", RAFT_MESSAGES_API_KEY, apiVersion);
      return;
    }
    this.options.onRaftMessages(msgs);
  }

  private context(apiVersion: number, header: RequestContext["header"] | null): RequestContext<Services> {
    return {
      header: header ?? {
        requestApiKey: API_VERSIONS,
        requestApiVersion: apiVersion,
        correlationId: 0,
        clientId: null,
      },
      apiVersion,
      clientId: header?.clientId ?? null,
      connectionId: this.id,
      clientHost: this.clientHost,
      signal: this.abort.signal,
      services: this.options.services,
    };
  }

  protected onClosed(): void {
    this.listener.connections.delete(this);
  }
}

export class ControllerListener<Services> {
  readonly table: (Handler | undefined)[] = [];
  readonly connections = new Set<ControllerConnection<Services>>();
  readonly logger: Logger;
  private readonly server: Server;
  private nextConnectionId = 1;
  private closing = false;
  port = 0;

  constructor(private readonly options: ControllerListenerOptions<Services>) {
    for (const h of options.handlers) this.table[h.apiKey] = h;
    this.logger = options.logger.child({ listener: "CONTROLLER" });
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on("error", (err) => options.logger.error({ err }, "controller listener error"));
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.connections.add(new ControllerConnection(this.nextConnectionId++, socket, this, this.options));
  }

  /** Binds the exact configured address; resolves with the bound port. */
  async listen(): Promise<number> {
    this.port = await listenExclusive(this.server, this.options.host, this.options.port);
    return this.port;
  }

  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const c of [...this.connections]) c.destroy();
    await closed;
  }
}
