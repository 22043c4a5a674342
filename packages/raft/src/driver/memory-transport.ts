import type { Message, NodeId } from "../core/types.js";
import type { Transport } from "./transport.js";

/** An in-process network for examples and tests: delivers on the next event-loop turn. */
export class MemoryNetwork {
  private readonly handlers = new Map<NodeId, (msgs: Message[]) => void>();
  /** Nodes whose traffic is dropped (both directions). */
  readonly isolated = new Set<NodeId>();

  transport(id: NodeId): Transport {
    return {
      send: (msgs) => {
        if (this.isolated.has(id)) return;
        setImmediate(() => {
          const byTo = new Map<NodeId, Message[]>();
          for (const m of msgs) {
            if (this.isolated.has(m.to)) continue;
            let l = byTo.get(m.to);
            if (l === undefined) {
              l = [];
              byTo.set(m.to, l);
            }
            l.push(m);
          }
          for (const [to, l] of byTo) this.handlers.get(to)?.(l);
        });
      },
      setHandler: (h) => {
        this.handlers.set(id, h);
      },
      close: async () => {
        this.handlers.delete(id);
      },
    };
  }
}
