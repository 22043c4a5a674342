// Raft frames carry the sender's quorum identity (cluster id + voter set): a controller takes raft
// messages only from members of its own quorum, so a node formatted for another cluster, or given
// other controller.quorum.voters, can neither vote nor lead here; the refusal is logged.
import { Writable } from "node:stream";
import { emptyMessage, type Message } from "@gregor/raft";
import { freePort, until } from "@gregor/testkit";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ControllerListener } from "../../src/controller/driver/controller-listener.js";
import { quorumIdentity } from "../../src/controller/driver/raft-frame.js";
import { ControllerRaftTransport } from "../../src/controller/driver/raft-transport.js";

function capturingLogger(lines: string[]) {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return pino({ level: "error" }, stream);
}

describe("raft frames carry the quorum identity", () => {
  it("a controller takes raft messages from its own quorum and refuses another cluster's or voter set's", async () => {
    const logLines: string[] = [];
    const received: Message[] = [];
    const port = await freePort();
    const voters = [
      { id: 1, host: "127.0.0.1", port: 1 },
      { id: 2, host: "127.0.0.1", port },
    ];
    const identity = quorumIdentity("cluster-a", voters);
    // The listener is node 2 of `voters` in cluster-a.
    const listener = new ControllerListener({
      host: "127.0.0.1",
      port,
      handlers: [],
      services: {},
      logger: capturingLogger(logLines),
      onRaftMessages: (msgs) => received.push(...msgs),
      maxFrameBytes: 1 << 20,
      maxInFlight: 100,
      raftIdentity: identity,
    });
    await listener.listen();
    const transports: ControllerRaftTransport[] = [];
    const sender = (senderIdentity: string) => {
      const t = new ControllerRaftTransport({ nodeId: 1, voters, identity: senderIdentity, reconnectMinMs: 10 });
      transports.push(t);
      return t;
    };
    try {
      const otherVoters = quorumIdentity("cluster-a", [...voters, { id: 3, host: "127.0.0.1", port: 2 }]);
      const otherCluster = quorumIdentity("cluster-b", voters);
      sender(otherVoters).send([emptyMessage("heartbeat", 1, 2, 7)]);
      sender(otherCluster).send([emptyMessage("heartbeat", 1, 2, 8)]);
      await until(() => logLines.length >= 2, { what: "two refusals logged", timeoutMs: 10_000 });
      expect(received).toEqual([]);
      expect(logLines.join("")).toContain("refusing raft messages from a node of another quorum");
      expect(logLines.join("")).toContain("cluster-b;");
      expect(logLines.join("")).toContain("3@127.0.0.1:2");

      sender(identity).send([emptyMessage("heartbeat", 1, 2, 9)]);
      await until(() => received.length === 1, { what: "the same quorum's message delivered", timeoutMs: 10_000 });
      expect(received[0]!.term).toBe(9);
    } finally {
      for (const t of transports) await t.close();
      await listener.close();
    }
  });
});
