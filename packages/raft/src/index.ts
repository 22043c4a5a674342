export { RaftCore, type ProposeResult, type RaftStatus } from "./core/raft.js";
export {
  NONE,
  emptyMessage,
  type Entry,
  type EntryType,
  type HardState,
  type InitialState,
  type Membership,
  type Message,
  type MessageType,
  type NodeId,
  type RaftConfig,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SnapshotMeta,
  type SoftState,
} from "./core/types.js";
export type { RaftLogStore } from "./driver/log-store.js";
export { FileLogStore } from "./driver/file-log-store.js";
export { StorageLogStore } from "./driver/storage-log-store.js";
export {
  PeerOutbox,
  TcpTransport,
  type FrameEncoder,
  type PeerAddress,
  type PeerOutboxOptions,
  type TcpTransportOptions,
  type Transport,
} from "./driver/transport.js";
export { MemoryNetwork } from "./driver/memory-transport.js";
export {
  RaftNode,
  NotLeaderError,
  ProposalDroppedError,
  ProposalTimeoutError,
  type RaftNodeOptions,
  type StateMachine,
} from "./driver/raft-node.js";
export { encodeMessages, decodeMessages } from "./driver/codec.js";
