// kafka-consumer-groups.sh (gregor groups) against a Gregor broker, with real groups made by kcat's
// balanced consumer (librdkafka) and by @gregor/client's consumer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Admin, Producer } from "@gregor/client";
import { startBroker, type Broker } from "@gregor/broker";
import { until } from "@gregor/testkit";
import { runCli } from "../src/index.js";
import { run, sh, start, stop, type Ran } from "./sh.js";

let broker: Broker;
let b: string;
const TOPIC = "orders";

beforeAll(async () => {
  broker = await startBroker({ port: 0, dataDir: ":memory:", config: { "group.initial.rebalance.delay.ms": 0 } });
  b = broker.bootstrap;
  const admin = new Admin({ bootstrapBrokers: [b] });
  await admin.createTopics([
    { topic: TOPIC, numPartitions: 2, replicationFactor: 1 },
    { topic: "other", numPartitions: 1, replicationFactor: 1 },
  ]);
  await admin.close();
  const p = new Producer({ bootstrapBrokers: [b], acks: "all" });
  // 6 records in partition 0, 4 in partition 1; 3 in "other".
  await p.send(
    TOPIC,
    Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: i < 6 ? 0 : 1 })),
  );
  await p.send("other", [{ value: "a" }, { value: "b" }, { value: "c" }]);
  await p.close();
}, 60_000);
afterAll(async () => {
  await broker.close();
});

const groups = (...args: string[]) => sh("kafka-consumer-groups.sh", ["--bootstrap-server", b, ...args]);
/** The same command in this process (no node start-up): for long sequences of invocations. */
async function groupsHere(...args: string[]): Promise<Ran> {
  let out = "";
  let err = "";
  const code = await runCli(["groups", "--bootstrap-server", b, ...args], {
    out: (x) => {
      out += x;
    },
    err: (x) => {
      err += x;
    },
  });
  return { code, out, err };
}

/** Data rows of the --describe table as objects keyed by column. */
function rows(out: string): Record<string, string>[] {
  const lines = out.split("\n").filter((l) => l.trim() !== "");
  const h = lines.findIndex((l) => l.startsWith("GROUP "));
  const cols = lines[h]!.split(/\s+/);
  return lines.slice(h + 1).map((l) => Object.fromEntries(l.split(/\s+/).map((v, i) => [cols[i]!, v])));
}

/** kcat's balanced consumer reads everything and commits, then exits (-e). */
async function kcatGroup(group: string, topic: string): Promise<void> {
  const r = await run("kcat", [
    "-b",
    b,
    "-G",
    group,
    "-X",
    "auto.offset.reset=earliest",
    "-e",
    "-q",
    "-f",
    "%o\\n",
    topic,
  ]);
  expect(r.code, r.out).toBe(0);
}

describe("kafka-consumer-groups.sh", () => {
  it("describes an active kcat group (member, host, client id), refuses to reset it, then describes it inactive", async () => {
    // A first kcat reads everything and commits (on exit); a second stays in the group.
    await kcatGroup("live", TOPIC);
    const kcat = start("kcat", [
      "-b",
      b,
      "-G",
      "live",
      "-X",
      "auto.offset.reset=earliest",
      "-X",
      "client.id=kcat-live",
      "-q",
      TOPIC,
    ]);
    try {
      // Wait until the member owns both partitions (its committed offsets are 6 and 4).
      const admin = new Admin({ bootstrapBrokers: [b] });
      await until(
        async () => {
          const [g] = await admin.describeGroups(["live"]).catch(() => []);
          const committed = await admin.fetchOffsets("live").catch(() => []);
          const ready =
            g?.state === "Stable" &&
            g.members[0]?.assignment[0]?.partitions.length === 2 &&
            [...committed]
              .sort((x, y) => x.partition - y.partition)
              .map((c) => c.offset)
              .join() === "6,4";
          return ready;
        },
        { what: "kcat's group to be stable and committed", timeoutMs: 20_000, intervalMs: 100 },
      ).finally(() => admin.close());
      const [describeOut, members, state, list] = await Promise.all([
        groups("--describe", "--group", "live"),
        groups("--describe", "--group", "live", "--members"),
        groups("--describe", "--group", "live", "--state"),
        groups("--list"),
      ]);
      const active = rows(describeOut.out);
      expect(
        active.map((r) => [r.GROUP, r.TOPIC, r.PARTITION, r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r.LAG]),
      ).toEqual([
        ["live", TOPIC, "0", "6", "6", "0"],
        ["live", TOPIC, "1", "4", "4", "0"],
      ]);
      for (const r of active) {
        expect(r["CONSUMER-ID"]).toMatch(/^kcat-live-/);
        expect(r.HOST).toBe("/127.0.0.1");
        expect(r["CLIENT-ID"]).toBe("kcat-live");
      }
      expect(rows(members.out)).toHaveLength(1);
      expect(state.out).toMatch(/live\s+range\s+Stable\s+1/);
      expect(list.out.split("\n")).toContain("live");

      const [r, delOffsets, del] = await Promise.all([
        groups("--reset-offsets", "--group", "live", "--topic", TOPIC, "--to-earliest", "--execute"),
        groups("--delete-offsets", "--group", "live", "--topic", TOPIC),
        groups("--delete", "--group", "live"),
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        "Assignments can only be reset if the group 'live' is inactive, but the current state is Stable.",
      );
      expect(delOffsets.code).toBe(1);
      expect(delOffsets.out).toMatch(new RegExp(`${TOPIC}\\s+0\\s+Error: GROUP_SUBSCRIBED_TO_TOPIC`));
      expect(del.code).toBe(1);
      expect(del.err).toContain("* Group 'live' could not be deleted due to: NON_EMPTY_GROUP");
    } finally {
      await stop(kcat);
    }
    const d = await groups("--describe", "--group", "live");
    expect(d.code).toBe(0);
    expect(d.out).toContain("Consumer group 'live' has no active members.");
    expect(
      rows(d.out).map((r) => [r.PARTITION, r["CURRENT-OFFSET"], r.LAG, r["CONSUMER-ID"], r.HOST, r["CLIENT-ID"]]),
    ).toEqual([
      ["0", "6", "0", "-", "-", "-"],
      ["1", "4", "0", "-", "-", "-"],
    ]);
  });

  it("resets offsets: dry run by default, then --execute to earliest, an offset, a datetime, latest, a shift", async () => {
    await kcatGroup("resettable", TOPIC);
    // Committed offsets read in-process (the --describe table is checked in the other tests).
    const admin = new Admin({ bootstrapBrokers: [b] });
    const current = async (): Promise<string[]> =>
      (await admin.fetchOffsets("resettable"))
        .filter((c) => c.topic === TOPIC)
        .map((c) => `${c.partition}:${c.offset}`)
        .sort();
    expect(await current()).toEqual(["0:6", "1:4"]);

    const dry = await groups("--reset-offsets", "--group", "resettable", "--topic", TOPIC, "--to-earliest");
    expect(dry.code).toBe(0);
    expect(rows(dry.out).map((r) => [r.GROUP, r.TOPIC, r.PARTITION, r["NEW-OFFSET"]])).toEqual([
      ["resettable", TOPIC, "0", "0"],
      ["resettable", TOPIC, "1", "0"],
    ]);
    expect(dry.err).toContain("dry run");
    expect(await current()).toEqual(["0:6", "1:4"]);

    // The process-level run above checked the wiring; the sequence below runs in this process.
    expect(
      (await groupsHere("--reset-offsets", "--group", "resettable", "--topic", TOPIC, "--to-earliest", "--execute"))
        .code,
    ).toBe(0);
    expect(await current()).toEqual(["0:0", "1:0"]);
    // One partition, clamped to the log end.
    const off = await groupsHere(
      "--reset-offsets",
      "--group",
      "resettable",
      "--topic",
      `${TOPIC}:1`,
      "--to-offset",
      "99",
      "--execute",
    );
    expect(rows(off.out).map((r) => `${r.PARTITION}:${r["NEW-OFFSET"]}`)).toEqual(["1:4"]);
    expect(await current()).toEqual(["0:0", "1:4"]);
    await groupsHere(
      "--reset-offsets",
      "--group",
      "resettable",
      "--topic",
      `${TOPIC}:0`,
      "--to-offset",
      "2",
      "--execute",
    );
    expect(await current()).toEqual(["0:2", "1:4"]);
    // Every record was written after 2026-01-01: the first offset.
    await groupsHere(
      "--reset-offsets",
      "--group",
      "resettable",
      "--topic",
      TOPIC,
      "--to-datetime",
      "2026-01-01T00:00:00.000",
      "--execute",
    );
    expect(await current()).toEqual(["0:0", "1:0"]);
    // No record at or after a far-future time: the log end.
    await groupsHere(
      "--reset-offsets",
      "--group",
      "resettable",
      "--all-topics",
      "--to-datetime",
      "2999-01-01T00:00:00.000",
      "--execute",
    );
    expect(await current()).toEqual(["0:6", "1:4"]);
    await groupsHere("--reset-offsets", "--group", "resettable", "--all-topics", "--shift-by", "-3", "--execute");
    expect(await current()).toEqual(["0:3", "1:1"]);
    await groupsHere("--reset-offsets", "--group", "resettable", "--all-topics", "--to-current", "--execute");
    expect(await current()).toEqual(["0:3", "1:1"]);
    await groupsHere("--reset-offsets", "--group", "resettable", "--topic", TOPIC, "--to-latest", "--execute");
    expect(await current()).toEqual(["0:6", "1:4"]);
    // Every record is younger than an hour: the first offset.
    await groupsHere(
      "--reset-offsets",
      "--group",
      "resettable",
      "--topic",
      TOPIC,
      "--by-duration",
      "PT1H",
      "--execute",
    );
    expect(await current()).toEqual(["0:0", "1:0"]);
    expect(
      (await groupsHere("--reset-offsets", "--group", "resettable", "--topic", TOPIC, "--by-duration", "1h")).err,
    ).toContain("--by-duration: cannot parse '1h'");
    await admin.close();
  });

  it("deletes a group's offsets for one topic, then the group", async () => {
    await kcatGroup("twotopics", TOPIC);
    await kcatGroup("twotopics", "other");
    const before = rows((await groups("--describe", "--group", "twotopics")).out).map(
      (r) => `${r.TOPIC}-${r.PARTITION}`,
    );
    expect(before).toEqual(["orders-0", "orders-1", "other-0"]);
    const d = await groups("--delete-offsets", "--group", "twotopics", "--topic", TOPIC);
    expect(d.code).toBe(0);
    expect(d.out).toContain(`Request succeed for deleting offsets with topic ${TOPIC} group twotopics`);
    expect(d.out).toMatch(new RegExp(`${TOPIC}\\s+0\\s+Successful\\n${TOPIC}\\s+1\\s+Successful`));
    expect(
      rows((await groups("--describe", "--group", "twotopics")).out).map((r) => `${r.TOPIC}-${r.PARTITION}`),
    ).toEqual(["other-0"]);

    const del = await groups("--delete", "--group", "twotopics");
    expect(del).toMatchObject({
      code: 0,
      out: "Deletion of requested consumer groups ('twotopics') was successful.\n",
    });
    expect((await groups("--list")).out.split("\n")).not.toContain("twotopics");
    const again = await groups("--describe", "--group", "twotopics");
    expect(again.code).toBe(1);
    expect(again.err).toContain("Consumer group 'twotopics' does not exist.");
  });

  it("rejects bad flags with a one-line error and exit code 1", async () => {
    const [unknown, noScenario, twoActions, badTime, noGroup] = await Promise.all([
      groups("--describ", "--group", "g"),
      groups("--reset-offsets", "--group", "g", "--topic", TOPIC),
      groups("--list", "--delete"),
      groups("--reset-offsets", "--group", "g", "--topic", TOPIC, "--to-datetime", "yesterday"),
      groups("--describe"),
    ]);
    expect(unknown.err).toMatch(/^Error: unrecognized option '--describ' for 'groups'\. Allowed: .*--describe/);
    expect(noScenario.err).toContain("--reset-offsets needs exactly one of --to-earliest");
    expect(twoActions.err).toContain(
      "exactly one of --list, --describe, --delete, --delete-offsets, --reset-offsets is required",
    );
    expect(badTime.err).toContain("--to-datetime: cannot parse 'yesterday'");
    expect(noGroup.err).toContain("--describe needs --group <group> or --all-groups");
    for (const r of [unknown, noScenario, twoActions, badTime, noGroup]) {
      expect(r.code).toBe(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
