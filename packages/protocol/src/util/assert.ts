/**
 * Programmer-error check, always on (house style): a failed assert is a bug in our code, never
 * bad input (bad input gets Kafka's error code instead).
 */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
