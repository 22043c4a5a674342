// Records of the compacted __consumer_offsets topic, in Kafka's byte layout so Kafka's own tools
// could read our log: key = int16 version + struct, value = int16 version + struct, null value =
// tombstone. Key versions 0/1 are offset commits, 2 is group metadata (Kafka's
// GroupCoordinatorRecordSerde). Other key versions (e.g. KIP-848 records) are skipped on replay.
import {
  Reader,
  Writer,
  decodeGroupMetadataKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from "@gregor/protocol";

export type CoordinatorRecord = OffsetCommitRecord | GroupMetadataRecord;

export interface OffsetCommitRecord {
  type: "offset";
  groupId: string;
  topic: string;
  partition: number;
  /** null = tombstone (offset deleted or expired). */
  value: OffsetCommitValue | null;
}

export interface GroupMetadataRecord {
  type: "group";
  groupId: string;
  /** null = tombstone (group deleted). */
  value: GroupMetadataValue | null;
}

export interface KeyValue {
  key: Buffer;
  value: Buffer | null;
}

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
/** Value v3 carries the leader epoch; v1 is the only one with an explicit expire timestamp. */
const OFFSET_VALUE_VERSION = 3;
const OFFSET_VALUE_VERSION_WITH_EXPIRY = 1;
const GROUP_VALUE_VERSION = 3;

export function encodeCoordinatorRecord(rec: CoordinatorRecord): KeyValue {
  const kw = new Writer(64);
  if (rec.type === "offset") {
    kw.int16(OFFSET_KEY_VERSION);
    encodeOffsetCommitKey(kw, OFFSET_KEY_VERSION, { group: rec.groupId, topic: rec.topic, partition: rec.partition });
    if (rec.value === null) return { key: kw.toBuffer(), value: null };
    const expiring = rec.value.expireTimestamp !== undefined && rec.value.expireTimestamp >= 0n;
    const v = expiring ? OFFSET_VALUE_VERSION_WITH_EXPIRY : OFFSET_VALUE_VERSION;
    const vw = new Writer(64);
    vw.int16(v);
    encodeOffsetCommitValue(vw, v, rec.value);
    return { key: kw.toBuffer(), value: vw.toBuffer() };
  }
  kw.int16(GROUP_KEY_VERSION);
  encodeGroupMetadataKey(kw, GROUP_KEY_VERSION, { group: rec.groupId });
  if (rec.value === null) return { key: kw.toBuffer(), value: null };
  const vw = new Writer(256);
  vw.int16(GROUP_VALUE_VERSION);
  encodeGroupMetadataValue(vw, GROUP_VALUE_VERSION, rec.value);
  return { key: kw.toBuffer(), value: vw.toBuffer() };
}

/**
 * Decodes one key/value pair. Returns undefined for key versions this coordinator does not own.
 * Throws ProtocolDecodeError (from the codec) on corrupt bytes; the loader counts and skips those.
 */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): CoordinatorRecord | undefined {
  const kr = new Reader(key);
  const keyVersion = kr.int16("keyVersion");
  if (keyVersion === 0 || keyVersion === 1) {
    const k = decodeOffsetCommitKey(kr, keyVersion);
    if (value === null)
      return { type: "offset", groupId: k.group, topic: k.topic, partition: k.partition, value: null };
    const vr = new Reader(value);
    const vv = vr.int16("valueVersion");
    if (vv < 0 || vv > 4) return undefined;
    return {
      type: "offset",
      groupId: k.group,
      topic: k.topic,
      partition: k.partition,
      value: decodeOffsetCommitValue(vr, vv),
    };
  }
  if (keyVersion === 2) {
    const k = decodeGroupMetadataKey(kr, keyVersion);
    if (value === null) return { type: "group", groupId: k.group, value: null };
    const vr = new Reader(value);
    const vv = vr.int16("valueVersion");
    if (vv < 0 || vv > 4) return undefined;
    return { type: "group", groupId: k.group, value: decodeGroupMetadataValue(vr, vv) };
  }
  return undefined;
}
