// What every DSL object shares: the topology under construction and Kafka-style node names
// (`KSTREAM-FILTER-0000000003`: an operator prefix and a builder-wide index).
import type { Processor, ProcessorContext, ProcessorSupplier, StreamRecord } from "../processor.js";
import type { Serde } from "../serdes.js";
import type { Topology } from "../topology.js";

export class BuilderState {
  private index = 0;
  constructor(readonly topology: Topology) {}

  newName(prefix: string): string {
    return `${prefix}-${String(this.index++).padStart(10, "0")}`;
  }

  /** Adds a processor under `parent` named `<prefix>-<index>` (or `name`), returns its name. */
  addProcessor<KIn, VIn, KOut, VOut>(
    prefix: string,
    parents: readonly string[],
    supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>,
    name?: string,
  ): string {
    const nodeName = name ?? this.newName(prefix);
    this.topology.addProcessor(nodeName, supplier, ...parents);
    return nodeName;
  }
}

/** Serdes a stream or table carries downstream (undefined: the configured default). */
export interface CarriedSerdes<K, V> {
  readonly key: Serde<K> | undefined;
  readonly value: Serde<V> | undefined;
}

export type Forward<K, V> = (record: StreamRecord<K, V>) => void;

/** A stateless processor from a function of (record, forward, context). */
export function statelessSupplier<KIn, VIn, KOut, VOut>(
  fn: (record: StreamRecord<KIn, VIn>, forward: Forward<KOut, VOut>, context: ProcessorContext<KOut, VOut>) => void,
): ProcessorSupplier<KIn, VIn, KOut, VOut> {
  return () => {
    let context: ProcessorContext<KOut, VOut>;
    let forward: Forward<KOut, VOut>;
    const processor: Processor<KIn, VIn, KOut, VOut> = {
      init(c) {
        context = c;
        forward = (r) => c.forward(r);
      },
      process(record) {
        fn(record, forward, context);
      },
    };
    return processor;
  };
}
