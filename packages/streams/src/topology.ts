// The processor graph (Kafka's Topology): sources read topics, processors transform and keep state
// in stores, sinks write topics. The DSL builds one; the Processor API can add to it directly.
// Nodes connected by edges or by a shared store form a sub-topology; a repartition topic (written
// by one sub-topology's sink, read by another's source) is where the graph splits. Each sub-topology
// runs as one task per input partition.
import type { ProcessorSupplier } from "./processor.js";
import type { Serde } from "./serdes.js";
import type { StoreBuilder } from "./state/store-base.js";

type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;

export interface SourceNode {
  readonly kind: "source";
  readonly name: string;
  readonly topics: readonly string[];
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
}

export interface ProcessorNode {
  readonly kind: "processor";
  readonly name: string;
  readonly parents: readonly string[];
  readonly supplier: AnySupplier;
  readonly stores: Set<string>;
}

export interface SinkNode {
  readonly kind: "sink";
  readonly name: string;
  readonly parents: readonly string[];
  readonly topic: string;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

export interface Subtopology {
  readonly id: number;
  /** Node names in the order they were added (parents before children). */
  readonly nodes: readonly string[];
  /** Topic names as the topology knows them (internal ones unprefixed: see resolveTopic). */
  readonly sourceTopics: readonly string[];
  readonly sinkTopics: readonly string[];
  readonly stores: readonly string[];
}

export class TopologyError extends Error {
  override readonly name = "TopologyError";
}

export class Topology {
  readonly nodes = new Map<string, TopologyNode>();
  readonly stores = new Map<string, StoreBuilder>();
  /**
   * Global stores (KIP-99): every instance holds all of `topic` in the store, read by any task;
   * the source topic is their changelog. Not part of any sub-topology.
   */
  readonly globalStores = new Map<
    string,
    {
      topic: string;
      builder: StoreBuilder;
      keySerde: Serde<unknown> | undefined;
      valueSerde: Serde<unknown> | undefined;
    }
  >();
  /** Repartition topics, by their name without the `<application.id>-` prefix. */
  readonly internalTopics = new Set<string>();
  private readonly sourceTopics = new Map<string, string>();

  addSource(
    name: string,
    topics: readonly string[],
    serdes: { key?: Serde<unknown> | undefined; value?: Serde<unknown> | undefined } = {},
  ): this {
    this.checkName(name);
    if (topics.length === 0) throw new TopologyError(`source ${name} needs at least one topic`);
    for (const t of topics) {
      const other = this.sourceTopics.get(t);
      if (other !== undefined) throw new TopologyError(`topic ${t} is already read by source ${other}`);
      this.sourceTopics.set(t, name);
    }
    this.nodes.set(name, { kind: "source", name, topics: [...topics], keySerde: serdes.key, valueSerde: serdes.value });
    return this;
  }

  addProcessor<KIn, VIn, KOut, VOut>(
    name: string,
    supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>,
    ...parents: string[]
  ): this {
    this.checkName(name);
    this.checkParents(name, parents);
    this.nodes.set(name, { kind: "processor", name, parents, supplier: supplier as AnySupplier, stores: new Set() });
    return this;
  }

  addSink(
    name: string,
    topic: string,
    serdes: { key?: Serde<unknown> | undefined; value?: Serde<unknown> | undefined },
    ...parents: string[]
  ): this {
    this.checkName(name);
    this.checkParents(name, parents);
    this.nodes.set(name, { kind: "sink", name, parents, topic, keySerde: serdes.key, valueSerde: serdes.value });
    return this;
  }

  addStateStore(builder: StoreBuilder, ...processorNames: string[]): this {
    if (this.stores.has(builder.name)) throw new TopologyError(`store ${builder.name} already exists`);
    this.stores.set(builder.name, builder);
    this.connectProcessorAndStateStores(...processorNames.map((p) => [p, builder.name] as const));
    return this;
  }

  /** A global store loaded from `topic` (no changelog of its own: the topic is one). */
  addGlobalStore(
    builder: StoreBuilder,
    topic: string,
    serdes: { key?: Serde<unknown> | undefined; value?: Serde<unknown> | undefined },
  ): this {
    if (this.stores.has(builder.name) || this.globalStores.has(builder.name))
      throw new TopologyError(`store ${builder.name} already exists`);
    const other = this.sourceTopics.get(topic);
    if (other !== undefined) throw new TopologyError(`topic ${topic} is already read by ${other}`);
    this.sourceTopics.set(topic, `global store ${builder.name}`);
    this.globalStores.set(builder.name, { topic, builder, keySerde: serdes.key, valueSerde: serdes.value });
    return this;
  }

  connectProcessorAndStateStores(...pairs: (readonly [processor: string, store: string])[]): this {
    for (const [processorName, storeName] of pairs) {
      const node = this.nodes.get(processorName);
      if (node?.kind !== "processor") throw new TopologyError(`no processor named ${processorName}`);
      if (!this.stores.has(storeName) && !this.globalStores.has(storeName))
        throw new TopologyError(`no store named ${storeName}`);
      node.stores.add(storeName);
    }
    return this;
  }

  /** Marks `topic` as a repartition topic (named `<application.id>-<topic>` at run time). */
  addInternalTopic(topic: string): this {
    this.internalTopics.add(topic);
    return this;
  }

  children(name: string): string[] {
    const out: string[] = [];
    for (const node of this.nodes.values())
      if (node.kind !== "source" && node.parents.includes(name)) out.push(node.name);
    return out;
  }

  /** The sub-topologies, numbered in the order their first node was added. */
  subtopologies(): Subtopology[] {
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let root = x;
      while (parent.get(root) !== root) root = parent.get(root)!;
      parent.set(x, root);
      return root;
    };
    const union = (a: string, b: string): void => void parent.set(find(a), find(b));
    for (const name of this.nodes.keys()) parent.set(name, name);
    const storeOwner = new Map<string, string>();
    for (const node of this.nodes.values()) {
      if (node.kind !== "source") for (const p of node.parents) union(node.name, p);
      if (node.kind !== "processor") continue;
      for (const s of node.stores) {
        if (this.globalStores.has(s)) continue; // shared by every task: joins no sub-topologies
        const owner = storeOwner.get(s);
        if (owner === undefined) storeOwner.set(s, node.name);
        else union(node.name, owner);
      }
    }
    const groups = new Map<string, string[]>();
    for (const name of this.nodes.keys()) {
      const root = find(name);
      groups.set(root, [...(groups.get(root) ?? []), name]);
    }
    return [...groups.values()].map((names, id) => this.describeGroup(id, names));
  }

  /** A topic's name on the cluster: repartition topics get the application id prefix. */
  resolveTopic(applicationId: string, topic: string): string {
    return this.internalTopics.has(topic) ? `${applicationId}-${topic}` : topic;
  }

  /** A human-readable description, like Kafka's TopologyDescription. */
  describe(): string {
    const lines: string[] = [];
    for (const sub of this.subtopologies()) {
      lines.push(`Sub-topology: ${sub.id}`);
      for (const name of sub.nodes) {
        const node = this.nodes.get(name)!;
        const detail =
          node.kind === "source"
            ? `topics: [${node.topics.join(", ")}]`
            : node.kind === "sink"
              ? `topic: ${node.topic}`
              : `stores: [${[...node.stores].join(", ")}]`;
        lines.push(`  ${node.kind} ${name} (${detail}) --> ${this.children(name).join(", ") || "none"}`);
      }
    }
    return lines.join("\n");
  }

  private describeGroup(id: number, names: string[]): Subtopology {
    const sourceTopics: string[] = [];
    const sinkTopics: string[] = [];
    const stores = new Set<string>();
    for (const name of names) {
      const node = this.nodes.get(name)!;
      if (node.kind === "source") sourceTopics.push(...node.topics);
      else if (node.kind === "sink") sinkTopics.push(node.topic);
      else for (const s of node.stores) if (!this.globalStores.has(s)) stores.add(s);
    }
    return { id, nodes: names, sourceTopics, sinkTopics, stores: [...stores] };
  }

  private checkName(name: string): void {
    if (this.nodes.has(name)) throw new TopologyError(`a node named ${name} already exists`);
  }

  private checkParents(name: string, parents: readonly string[]): void {
    if (parents.length === 0) throw new TopologyError(`${name} needs at least one parent`);
    for (const p of parents) {
      const node = this.nodes.get(p);
      if (!node) throw new TopologyError(`${name}: no parent node named ${p}`);
      if (node.kind === "sink") throw new TopologyError(`${name}: sink ${p} cannot be a parent`);
    }
  }
}
