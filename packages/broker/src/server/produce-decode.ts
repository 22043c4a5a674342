// Produce v3-11 requests of the common shape (one topic, one partition, no tagged fields) decoded
// without the generated codec's Reader: the client id and topic name strings are reused from the
// previous request on the connection when their bytes match (a producer repeats them on every
// request). Anything else returns null and goes through the generic decoder, which also reports
// the errors.
import { ApiKey, type ProduceRequest, type RequestHeader } from "@gregor/protocol";

/** The last string decoded from some bytes, reused while a connection keeps sending the same bytes. */
class StringCache {
  private bytes: Buffer = Buffer.alloc(0);
  private value = "";

  get(buf: Buffer, start: number, end: number): string {
    const len = end - start;
    const bytes = this.bytes;
    if (len === bytes.length) {
      let i = 0;
      while (i < len && buf[start + i] === bytes[i]) i++;
      if (i === len) return this.value;
    }
    this.bytes = Buffer.from(buf.subarray(start, end));
    this.value = buf.toString("utf8", start, end);
    return this.value;
  }
}

export class ProduceDecoder {
  private readonly clientIds = new StringCache();
  private readonly topics = new StringCache();
  /** The header of the request decode() last returned. */
  header: RequestHeader = { requestApiKey: ApiKey.Produce, requestApiVersion: 0, correlationId: 0, clientId: null };

  /** A one-partition Produce frame's request (api key 0 checked by the caller; header in `header`), or null. */
  decode(frame: Buffer, apiVersion: number): ProduceRequest | null {
    if (apiVersion < 3 || apiVersion > 11) return null;
    const flexible = apiVersion >= 9;
    const end = frame.length;
    let pos = 8;
    // Header v1/v2: clientId is a (non-compact) nullable string in both.
    if (end < pos + 2) return null;
    const clientIdLen = frame.readInt16BE(pos);
    pos += 2;
    let clientId: string | null = null;
    if (clientIdLen >= 0) {
      if (end < pos + clientIdLen) return null;
      clientId = this.clientIds.get(frame, pos, pos + clientIdLen);
      pos += clientIdLen;
    } else if (clientIdLen !== -1) return null;
    if (flexible && frame[pos++] !== 0) return null; // header tagged fields
    // transactionalId: only null (non-transactional producers) on this path.
    if (flexible) {
      if (frame[pos++] !== 0) return null;
    } else {
      if (end < pos + 2 || frame.readInt16BE(pos) !== -1) return null;
      pos += 2;
    }
    if (end < pos + 6) return null;
    const acks = frame.readInt16BE(pos);
    const timeoutMs = frame.readInt32BE(pos + 2);
    pos += 6;
    // topicData: exactly one topic.
    if (flexible) {
      if (frame[pos++] !== 2) return null;
    } else {
      if (end < pos + 4 || frame.readInt32BE(pos) !== 1) return null;
      pos += 4;
    }
    let nameLen: number;
    if (flexible) {
      const b = frame[pos++];
      if (b === undefined || b === 0 || b >= 0x80) return null; // names < 127 bytes on this path
      nameLen = b - 1;
    } else {
      if (end < pos + 2) return null;
      nameLen = frame.readInt16BE(pos);
      pos += 2;
      if (nameLen < 0) return null;
    }
    if (end < pos + nameLen) return null;
    const name = this.topics.get(frame, pos, pos + nameLen);
    pos += nameLen;
    // partitionData: exactly one partition.
    if (flexible) {
      if (frame[pos++] !== 2) return null;
    } else {
      if (end < pos + 4 || frame.readInt32BE(pos) !== 1) return null;
      pos += 4;
    }
    if (end < pos + 4) return null;
    const index = frame.readInt32BE(pos);
    pos += 4;
    let recordsLen: number;
    if (flexible) {
      let v = 0;
      let shift = 0;
      for (;;) {
        const b = frame[pos++];
        if (b === undefined || shift > 28) return null;
        v += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
        shift += 7;
      }
      if (v === 0) return null; // null records: the generic path answers it
      recordsLen = v - 1;
    } else {
      if (end < pos + 4) return null;
      recordsLen = frame.readInt32BE(pos);
      pos += 4;
      if (recordsLen < 0) return null;
    }
    if (end < pos + recordsLen) return null;
    const records = frame.subarray(pos, pos + recordsLen);
    pos += recordsLen;
    if (flexible) {
      // partition, topic and request tagged fields: none.
      if (end !== pos + 3 || frame[pos] !== 0 || frame[pos + 1] !== 0 || frame[pos + 2] !== 0) return null;
    } else if (pos !== end) return null;
    this.header = {
      requestApiKey: ApiKey.Produce,
      requestApiVersion: apiVersion,
      correlationId: frame.readInt32BE(4),
      clientId,
    };
    return { transactionalId: null, acks, timeoutMs, topicData: [{ name, partitionData: [{ index, records }] }] };
  }
}
