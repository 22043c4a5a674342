// `@gregor/protocol/util`: small primitives every layer shares (the lowest layer holds them once).
export { assert } from "./assert.js";
export { MinHeap } from "./min-heap.js";
