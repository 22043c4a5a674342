import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  ErrorCode,
  KafkaError,
  errorByCode,
  errorByName,
  errorInfo,
  isRetriable,
  throwIfError,
} from "./index.js";

describe("Kafka error table", () => {
  it("has every code from -1 to 133 exactly once, with unique names", () => {
    const codes = ERROR_CODES.map((e) => e.code);
    expect(codes).toEqual(Array.from({ length: 135 }, (_, i) => i - 1));
    expect(new Set(ERROR_CODES.map((e) => e.name)).size).toBe(ERROR_CODES.length);
    for (const e of ERROR_CODES) expect(e.message.length).toBeGreaterThan(5);
  });

  it("agrees with the ErrorCode name constants", () => {
    expect(Object.entries(ErrorCode)).toEqual(ERROR_CODES.map((e) => [e.name, e.code]));
  });

  it.each([
    [-1, "UNKNOWN_SERVER_ERROR", false],
    [0, "NONE", false],
    [1, "OFFSET_OUT_OF_RANGE", false],
    [2, "CORRUPT_MESSAGE", true],
    [3, "UNKNOWN_TOPIC_OR_PARTITION", true],
    [6, "NOT_LEADER_OR_FOLLOWER", true],
    [7, "REQUEST_TIMED_OUT", true],
    [10, "MESSAGE_TOO_LARGE", false],
    [15, "COORDINATOR_NOT_AVAILABLE", true],
    [16, "NOT_COORDINATOR", true],
    [17, "INVALID_TOPIC_EXCEPTION", false],
    [22, "ILLEGAL_GENERATION", false],
    [25, "UNKNOWN_MEMBER_ID", false],
    [27, "REBALANCE_IN_PROGRESS", false],
    [35, "UNSUPPORTED_VERSION", false],
    [36, "TOPIC_ALREADY_EXISTS", false],
    [38, "INVALID_REPLICATION_FACTOR", false],
    [47, "INVALID_PRODUCER_EPOCH", false],
    [74, "FENCED_LEADER_EPOCH", true],
    [79, "MEMBER_ID_REQUIRED", false],
    [90, "PRODUCER_FENCED", false],
    [100, "UNKNOWN_TOPIC_ID", true],
    [119, "INVALID_REGISTRATION", false],
  ] as const)("code %i is %s (retriable %s)", (code, name, retriable) => {
    expect(errorByCode(code)?.name).toBe(name);
    expect(errorByName(name)?.code).toBe(code);
    expect(isRetriable(code)).toBe(retriable);
  });

  it("reads unknown codes as UNKNOWN_SERVER_ERROR, like Kafka's Errors.forCode", () => {
    expect(errorByCode(4242)).toBeUndefined();
    expect(errorInfo(4242).name).toBe("UNKNOWN_SERVER_ERROR");
    expect(isRetriable(4242)).toBe(false);
  });

  it("KafkaError carries code, name and retriable", () => {
    const e = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.name, e.retriable]).toEqual([6, "NOT_LEADER_OR_FOLLOWER", true]);
    expect(String(e)).toMatch(/^NOT_LEADER_OR_FOLLOWER: /);
    expect(KafkaError.is(e, 6)).toBe(true);
    expect(KafkaError.is(e, 5)).toBe(false);
    const custom = new KafkaError(10, "batch of 2 MiB");
    expect(custom.message).toBe("batch of 2 MiB");
    const unknown = new KafkaError(999);
    expect([unknown.name, unknown.retriable]).toEqual(["UNKNOWN_ERROR_CODE_999", false]);
    expect(() => throwIfError(0)).not.toThrow();
    expect(() => throwIfError(3)).toThrow(KafkaError);
  });
});
