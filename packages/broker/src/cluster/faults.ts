// Fault injection on a local cluster (issue 15, item 7): what a Jepsen-style test does to the
// nodes — crash one (kill -9), start it again on its data, freeze it (SIGSTOP: alive, sockets
// open, silent), and cut network links between nodes. The process faults are signals to the node's
// process group; the network faults are iptables rules on per-node loopback addresses
// (faults-network.ts). heal() undoes every fault but kills: frozen nodes continue, cut links join.
import { randomInt } from "node:crypto";
import { ELSEWHERE, LinkCutter, NetworkFaultError } from "./faults-network.js";
import type { RunnableNode } from "./local-node.js";

export { NetworkFaultError } from "./faults-network.js";

/** The faults a LocalCluster offers; ids are node ids. */
export interface ClusterFaultApi {
  /** SIGKILL of the node's process group: a crash (no controlled shutdown, sockets closed by the OS). */
  kill(id: number): Promise<void>;
  /**
   * Starts the node again on the same dir and ports (stopped first, SIGTERM, if it runs); resolves
   * once it and every other running, unpaused node list it in Metadata.
   */
  restart(id: number): Promise<void>;
  /** SIGSTOP of the node's process group: alive but silent (a GC pause, a frozen VM). */
  pause(id: number): Promise<void>;
  /** SIGCONT: the paused node continues where it stopped. */
  resume(id: number): Promise<void>;
  /**
   * Cuts every link between `id` and the other nodes (both directions). Clients still reach it,
   * unless `clients: true`: then every other address is cut off it too (the test process's own
   * connections included) — a node alone on its side of the partition.
   */
  isolate(id: number, options?: { clients?: boolean }): Promise<void>;
  /** Cuts every link between a node of `side` and a node of `other` (both directions). */
  partition(side: readonly number[], other: readonly number[]): Promise<void>;
  /** Resumes every paused node and joins every cut link (killed nodes stay down: restart them). */
  heal(): Promise<void>;
  /** The nodes paused now, and the directed links cut now ("1>2": node 1's packets to node 2 are dropped; "clients>1": everyone else's to node 1). */
  faults(): { paused: number[]; cut: string[] };
}

/** Node id -> its own loopback address, 127.A.B.(10 + id) with A.B random per cluster (clusters here do not share rules). */
export function perNodeLoopback(): (id: number) => string {
  const a = randomInt(100, 200);
  const b = randomInt(0, 256);
  return (id: number) => {
    if (!Number.isSafeInteger(id) || id < 1 || id > 240)
      throw new Error(`per-node addresses need node ids 1..240, got ${id}`);
    return `127.${a}.${b}.${10 + id}`;
  };
}

export interface ClusterFaultsOptions {
  nodes: readonly RunnableNode[];
  /** Whether each node has its own address (network faults need it). */
  perNodeAddresses: boolean;
  /** Waits until `node` and each of `peers` answer Metadata listing `node` (after a restart). */
  waitForNode: (node: RunnableNode, peers: readonly RunnableNode[]) => Promise<void>;
  /** Names this cluster's iptables rules. */
  tag: string;
}

export class ClusterFaults implements ClusterFaultApi {
  private readonly paused = new Set<number>();
  private readonly links: LinkCutter;
  private readonly onExit = (): void => {
    for (const id of this.paused) this.node(id).signal("SIGCONT");
  };

  constructor(private readonly options: ClusterFaultsOptions) {
    this.links = new LinkCutter(options.tag);
    process.on("exit", this.onExit);
  }

  private node(id: number): RunnableNode {
    const n = this.options.nodes.find((x) => x.id === id);
    if (n === undefined)
      throw new Error(`no node ${id}: the nodes are ${this.options.nodes.map((x) => x.id).join(",")}`);
    return n;
  }

  private running(id: number, fault: string): RunnableNode {
    const n = this.node(id);
    if (!n.running)
      throw new Error(`${fault}(${id}): node ${id} is not running (kill()ed or stopped; restart(${id}) first)`);
    return n;
  }

  async kill(id: number): Promise<void> {
    const n = this.node(id);
    this.paused.delete(id);
    await n.kill();
  }

  async restart(id: number): Promise<void> {
    const n = this.node(id);
    if (this.paused.delete(id)) n.signal("SIGCONT");
    await n.restart();
    const peers = this.options.nodes.filter((p) => p !== n && p.running && !this.paused.has(p.id));
    await this.options.waitForNode(n, peers);
  }

  async pause(id: number): Promise<void> {
    const n = this.running(id, "pause");
    n.signal("SIGSTOP"); // throws, naming mode "process", for an in-process node
    this.paused.add(id);
  }

  async resume(id: number): Promise<void> {
    const n = this.node(id);
    if (!this.paused.delete(id)) return;
    n.signal("SIGCONT");
  }

  async isolate(id: number, options: { clients?: boolean } = {}): Promise<void> {
    const others = this.options.nodes.filter((n) => n.id !== id).map((n) => n.id);
    await this.partition([id], others);
    if (options.clients === true) {
      const host = this.node(id).host;
      await this.links.cut(host, ELSEWHERE);
      await this.links.cut(ELSEWHERE, host);
    }
  }

  async partition(side: readonly number[], other: readonly number[]): Promise<void> {
    const overlap = side.filter((id) => other.includes(id));
    if (overlap.length > 0) throw new Error(`partition(): node(s) ${overlap.join(",")} on both sides`);
    if (!this.options.perNodeAddresses)
      throw new NetworkFaultError(
        `network faults need each node on its own loopback address: start the cluster with startCluster({ network: "per-node" })`,
      );
    for (const a of side)
      for (const b of other) {
        const [from, to] = [this.node(a).host, this.node(b).host];
        await this.links.cut(from, to);
        await this.links.cut(to, from);
      }
  }

  async heal(): Promise<void> {
    for (const id of [...this.paused]) await this.resume(id);
    await this.links.healAll();
  }

  faults(): { paused: number[]; cut: string[] } {
    const idOf = (host: string): string =>
      host === ELSEWHERE ? "clients" : String(this.options.nodes.find((n) => n.host === host)?.id ?? host);
    const cut = this.links.cuts.map((key) => {
      const [from, to] = key.split(">") as [string, string];
      return `${idOf(from)}>${idOf(to)}`;
    });
    return { paused: [...this.paused].sort((x, y) => x - y), cut };
  }

  /** heal(), and no exit handler any more (close() of the cluster). */
  async close(): Promise<void> {
    await this.heal();
    process.off("exit", this.onExit);
  }
}
