export { freePort } from "./free-port.js";
export { Prng, type PrngAlgorithm } from "./prng.js";
export { type ClosableBroker, type SuiteBrokerSlots, suiteBroker } from "./suite-broker.js";
export { tempDir } from "./temp-dir.js";
export { type Pending, sleep, type UntilOptions, until, within } from "./until.js";
export { canMount, fill, mountTmpfs, type Tmpfs } from "./tmpfs.js";
