import type { Entry, Message } from "../src/index.js";

const dec = new TextDecoder();

export function fmtEntry(e: Entry): string {
  if (e.type === "noop") return `${e.term}/${e.index} noop`;
  return `${e.term}/${e.index} ${JSON.stringify(dec.decode(e.data))}`;
}

export function fmtMessage(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} term=${m.term}`];
  switch (m.type) {
    case "app":
      parts.push(`prev=${m.logTerm}/${m.index} commit=${m.commit}`);
      if (m.entries.length > 0) parts.push(`entries=[${m.entries.map(fmtEntry).join(", ")}]`);
      break;
    case "appResp":
      parts.push(`index=${m.index}`);
      if (m.reject) parts.push(`reject hint=${m.logTerm}/${m.rejectHint}`);
      break;
    case "vote":
    case "preVote":
      parts.push(`last=${m.logTerm}/${m.index}`);
      break;
    case "voteResp":
    case "preVoteResp":
      parts.push(m.reject ? "rejected" : "granted");
      break;
    case "heartbeat":
      parts.push(`commit=${m.commit}`);
      break;
    case "snap":
      parts.push(`snapshot=${m.snapshot?.meta.term}/${m.snapshot?.meta.index}`);
      break;
    case "readIndexResp":
      parts.push(`index=${m.index}`);
      break;
    default:
      break;
  }
  if (m.context !== "") parts.push(`ctx=${m.context}`);
  return parts.join(" ");
}
