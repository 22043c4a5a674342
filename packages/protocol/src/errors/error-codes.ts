// Kafka's error codes (the protocol's ErrorCode int16). Names and numbers are Kafka's; the
// `retriable` flag follows whether Kafka's Java exception for the code is a RetriableException
// (InvalidMetadataException included); the messages are our own short descriptions.
// One table, per house style: handlers return codes as values, clients map them to KafkaError.

export interface ErrorCodeInfo {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
  readonly message: string;
}

type Row = readonly [code: number, name: string, retriable: 0 | 1, message: string];

// prettier-ignore
const ROWS: readonly Row[] = [
  [-1, "UNKNOWN_SERVER_ERROR", 0, "the server hit an unexpected error"],
  [0, "NONE", 0, "no error"],
  [1, "OFFSET_OUT_OF_RANGE", 0, "offset is outside the partition's log range"],
  [2, "CORRUPT_MESSAGE", 1, "record failed its CRC or is malformed"],
  [3, "UNKNOWN_TOPIC_OR_PARTITION", 1, "this broker does not host the topic-partition"],
  [4, "INVALID_FETCH_SIZE", 0, "fetch size is invalid"],
  [5, "LEADER_NOT_AVAILABLE", 1, "the partition has no leader right now (election in progress)"],
  [6, "NOT_LEADER_OR_FOLLOWER", 1, "this broker is not the leader or a follower of the partition"],
  [7, "REQUEST_TIMED_OUT", 1, "the request timed out on the server"],
  [8, "BROKER_NOT_AVAILABLE", 0, "the broker is not available"],
  [9, "REPLICA_NOT_AVAILABLE", 1, "the replica is not available for the partition"],
  [10, "MESSAGE_TOO_LARGE", 0, "a record batch is larger than the broker accepts"],
  [11, "STALE_CONTROLLER_EPOCH", 0, "the controller epoch in the request is stale"],
  [12, "OFFSET_METADATA_TOO_LARGE", 0, "committed offset metadata is too large"],
  [13, "NETWORK_EXCEPTION", 1, "the connection closed before a response arrived"],
  [14, "COORDINATOR_LOAD_IN_PROGRESS", 1, "the coordinator is still loading its state"],
  [15, "COORDINATOR_NOT_AVAILABLE", 1, "the coordinator is not available"],
  [16, "NOT_COORDINATOR", 1, "this broker is not the coordinator for the key"],
  [17, "INVALID_TOPIC_EXCEPTION", 0, "the topic name is invalid or the topic is internal"],
  [18, "RECORD_LIST_TOO_LARGE", 0, "the batch is larger than the segment size"],
  [19, "NOT_ENOUGH_REPLICAS", 1, "fewer in-sync replicas than min.insync.replicas"],
  [20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", 1, "written, but to fewer in-sync replicas than required"],
  [21, "INVALID_REQUIRED_ACKS", 0, "acks must be -1, 0 or 1"],
  [22, "ILLEGAL_GENERATION", 0, "the group generation id is not current"],
  [23, "INCONSISTENT_GROUP_PROTOCOL", 0, "the member's protocols do not match the group's"],
  [24, "INVALID_GROUP_ID", 0, "the group id is invalid"],
  [25, "UNKNOWN_MEMBER_ID", 0, "the coordinator does not know this member id"],
  [26, "INVALID_SESSION_TIMEOUT", 0, "the session timeout is outside the broker's allowed range"],
  [27, "REBALANCE_IN_PROGRESS", 0, "the group is rebalancing; rejoin"],
  [28, "INVALID_COMMIT_OFFSET_SIZE", 0, "the offset commit is too large"],
  [29, "TOPIC_AUTHORIZATION_FAILED", 0, "not authorized for the topic"],
  [30, "GROUP_AUTHORIZATION_FAILED", 0, "not authorized for the group"],
  [31, "CLUSTER_AUTHORIZATION_FAILED", 0, "not authorized for the cluster"],
  [32, "INVALID_TIMESTAMP", 0, "a record timestamp is outside the accepted range"],
  [33, "UNSUPPORTED_SASL_MECHANISM", 0, "the SASL mechanism is not enabled"],
  [34, "ILLEGAL_SASL_STATE", 0, "the request is not valid in the current SASL state"],
  [35, "UNSUPPORTED_VERSION", 0, "the API version is not supported"],
  [36, "TOPIC_ALREADY_EXISTS", 0, "a topic with this name already exists"],
  [37, "INVALID_PARTITIONS", 0, "the partition count is invalid"],
  [38, "INVALID_REPLICATION_FACTOR", 0, "the replication factor is invalid for this cluster"],
  [39, "INVALID_REPLICA_ASSIGNMENT", 0, "the replica assignment is invalid"],
  [40, "INVALID_CONFIG", 0, "the configuration is invalid"],
  [41, "NOT_CONTROLLER", 1, "this broker is not the active controller"],
  [42, "INVALID_REQUEST", 0, "the request is malformed or not valid for this broker"],
  [43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", 0, "the message format does not support this request"],
  [44, "POLICY_VIOLATION", 0, "the request violates a configured policy"],
  [45, "OUT_OF_ORDER_SEQUENCE_NUMBER", 0, "the producer sequence number is out of order"],
  [46, "DUPLICATE_SEQUENCE_NUMBER", 0, "the producer sequence number is a duplicate"],
  [47, "INVALID_PRODUCER_EPOCH", 0, "the producer epoch is stale"],
  [48, "INVALID_TXN_STATE", 0, "the transactional operation is invalid in the current state"],
  [49, "INVALID_PRODUCER_ID_MAPPING", 0, "the producer id is not assigned to this transactional id"],
  [50, "INVALID_TRANSACTION_TIMEOUT", 0, "the transaction timeout exceeds transaction.max.timeout.ms"],
  [51, "CONCURRENT_TRANSACTIONS", 0, "another operation on this transaction is in progress"],
  [52, "TRANSACTION_COORDINATOR_FENCED", 0, "the transaction coordinator is no longer current"],
  [53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", 0, "not authorized for the transactional id"],
  [54, "SECURITY_DISABLED", 0, "security features are disabled"],
  [55, "OPERATION_NOT_ATTEMPTED", 0, "the broker did not attempt this operation"],
  [56, "KAFKA_STORAGE_ERROR", 1, "a disk error occurred while accessing the log"],
  [57, "LOG_DIR_NOT_FOUND", 0, "the log directory is not configured on the broker"],
  [58, "SASL_AUTHENTICATION_FAILED", 0, "SASL authentication failed"],
  [59, "UNKNOWN_PRODUCER_ID", 0, "the broker has no state for this producer id"],
  [60, "REASSIGNMENT_IN_PROGRESS", 0, "a partition reassignment is in progress"],
  [61, "DELEGATION_TOKEN_AUTH_DISABLED", 0, "delegation tokens are disabled"],
  [62, "DELEGATION_TOKEN_NOT_FOUND", 0, "the delegation token does not exist"],
  [63, "DELEGATION_TOKEN_OWNER_MISMATCH", 0, "the principal is not the token's owner or renewer"],
  [64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", 0, "delegation token requests are not allowed on this channel"],
  [65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", 0, "not authorized for the delegation token"],
  [66, "DELEGATION_TOKEN_EXPIRED", 0, "the delegation token has expired"],
  [67, "INVALID_PRINCIPAL_TYPE", 0, "the principal type is not supported"],
  [68, "NON_EMPTY_GROUP", 0, "the group still has members"],
  [69, "GROUP_ID_NOT_FOUND", 0, "the group does not exist"],
  [70, "FETCH_SESSION_ID_NOT_FOUND", 1, "the fetch session id is unknown"],
  [71, "INVALID_FETCH_SESSION_EPOCH", 1, "the fetch session epoch is wrong"],
  [72, "LISTENER_NOT_FOUND", 1, "the leader has no listener matching the request's listener"],
  [73, "TOPIC_DELETION_DISABLED", 0, "topic deletion is disabled"],
  [74, "FENCED_LEADER_EPOCH", 1, "the request's leader epoch is older than the broker's"],
  [75, "UNKNOWN_LEADER_EPOCH", 1, "the request's leader epoch is newer than the broker's"],
  [76, "UNSUPPORTED_COMPRESSION_TYPE", 0, "the client does not support the partition's compression"],
  [77, "STALE_BROKER_EPOCH", 0, "the broker epoch has changed"],
  [78, "OFFSET_NOT_AVAILABLE", 1, "the new leader's high watermark has not caught up yet"],
  [79, "MEMBER_ID_REQUIRED", 0, "rejoin with the member id the coordinator assigned"],
  [80, "PREFERRED_LEADER_NOT_AVAILABLE", 1, "the preferred leader is not available"],
  [81, "GROUP_MAX_SIZE_REACHED", 0, "the group is at its maximum size"],
  [82, "FENCED_INSTANCE_ID", 0, "another member registered with this group.instance.id"],
  [83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", 1, "no eligible leader is available for the partition"],
  [84, "ELECTION_NOT_NEEDED", 1, "the partition already has its preferred leader"],
  [85, "NO_REASSIGNMENT_IN_PROGRESS", 0, "no partition reassignment is in progress"],
  [86, "GROUP_SUBSCRIBED_TO_TOPIC", 0, "cannot delete offsets of a topic the group subscribes to"],
  [87, "INVALID_RECORD", 0, "a record failed broker-side validation"],
  [88, "UNSTABLE_OFFSET_COMMIT", 1, "pending transactional offsets must be resolved first"],
  [89, "THROTTLING_QUOTA_EXCEEDED", 1, "the throttling quota is exhausted"],
  [90, "PRODUCER_FENCED", 0, "a newer producer with the same transactional id exists"],
  [91, "RESOURCE_NOT_FOUND", 0, "the referenced resource does not exist"],
  [92, "DUPLICATE_RESOURCE", 0, "the same resource is referenced twice"],
  [93, "UNACCEPTABLE_CREDENTIAL", 0, "the credential does not meet the acceptance criteria"],
  [94, "INCONSISTENT_VOTER_SET", 0, "sender or receiver is not an expected voter"],
  [95, "INVALID_UPDATE_VERSION", 0, "the update version is invalid"],
  [96, "FEATURE_UPDATE_FAILED", 0, "finalized features could not be updated"],
  [97, "PRINCIPAL_DESERIALIZATION_FAILURE", 0, "the forwarded principal could not be deserialized"],
  [98, "SNAPSHOT_NOT_FOUND", 0, "the requested snapshot does not exist"],
  [99, "POSITION_OUT_OF_RANGE", 0, "the position is outside the snapshot"],
  [100, "UNKNOWN_TOPIC_ID", 1, "this broker does not host the topic id"],
  [101, "DUPLICATE_BROKER_REGISTRATION", 0, "the broker id is already registered"],
  [102, "BROKER_ID_NOT_REGISTERED", 0, "the broker id is not registered"],
  [103, "INCONSISTENT_TOPIC_ID", 1, "the log's topic id does not match the request's"],
  [104, "INCONSISTENT_CLUSTER_ID", 0, "the cluster id does not match the server's"],
  [105, "TRANSACTIONAL_ID_NOT_FOUND", 0, "the transactional id does not exist"],
  [106, "FETCH_SESSION_TOPIC_ID_ERROR", 1, "the fetch session mixes topic ids inconsistently"],
  [107, "INELIGIBLE_REPLICA", 0, "the new ISR has an ineligible replica"],
  [108, "NEW_LEADER_ELECTED", 0, "the partition state changed but the leader moved"],
  [109, "OFFSET_MOVED_TO_TIERED_STORAGE", 0, "the offset now lives in tiered storage"],
  [110, "FENCED_MEMBER_EPOCH", 0, "the member epoch is fenced; rejoin the group"],
  [111, "UNRELEASED_INSTANCE_ID", 0, "the instance id is still held by another member"],
  [112, "UNSUPPORTED_ASSIGNOR", 0, "the assignor is not supported by the group"],
  [113, "STALE_MEMBER_EPOCH", 0, "the member epoch is stale; retry after the next heartbeat"],
  [114, "MISMATCHED_ENDPOINT_TYPE", 0, "the request went to the wrong kind of endpoint"],
  [115, "UNSUPPORTED_ENDPOINT_TYPE", 0, "this endpoint type is not supported"],
  [116, "UNKNOWN_CONTROLLER_ID", 0, "the controller id is unknown"],
  [117, "UNKNOWN_SUBSCRIPTION_ID", 0, "the telemetry subscription id is unknown or outdated"],
  [118, "TELEMETRY_TOO_LARGE", 0, "the telemetry push is larger than the broker accepts"],
  [119, "INVALID_REGISTRATION", 0, "the controller rejected the broker registration"],
  [120, "TRANSACTION_ABORTABLE", 0, "the transaction failed; abort it to continue"],
  [121, "INVALID_RECORD_STATE", 0, "the record's state does not allow the acknowledgement"],
  [122, "SHARE_SESSION_NOT_FOUND", 1, "the share session is unknown"],
  [123, "INVALID_SHARE_SESSION_EPOCH", 1, "the share session epoch is wrong"],
  [124, "FENCED_STATE_EPOCH", 0, "the share-group state epoch does not match"],
  [125, "INVALID_VOTER_KEY", 0, "the voter key does not match the replica's"],
  [126, "DUPLICATE_VOTER", 0, "the voter is already in the voter set"],
  [127, "VOTER_NOT_FOUND", 0, "the voter is not in the voter set"],
  [128, "INVALID_REGULAR_EXPRESSION", 0, "the regular expression does not compile"],
  [129, "REBOOTSTRAP_REQUIRED", 0, "client metadata is stale; rebootstrap"],
  [130, "STREAMS_INVALID_TOPOLOGY", 0, "the streams topology is invalid"],
  [131, "STREAMS_INVALID_TOPOLOGY_EPOCH", 0, "the streams topology epoch is invalid"],
  [132, "STREAMS_TOPOLOGY_FENCED", 0, "the streams topology epoch is outdated"],
  [133, "SHARE_SESSION_LIMIT_REACHED", 1, "the broker's share session limit is reached"],
];

export const ERROR_CODES: readonly ErrorCodeInfo[] = ROWS.map(([code, name, retriable, message]) =>
  Object.freeze({ code, name, retriable: retriable === 1, message }),
);

const BY_CODE = new Map<number, ErrorCodeInfo>(ERROR_CODES.map((e) => [e.code, e]));
const BY_NAME = new Map<string, ErrorCodeInfo>(ERROR_CODES.map((e) => [e.name, e]));

/** Known codes, or undefined. Kafka maps an unknown code to UNKNOWN_SERVER_ERROR: see errorInfo. */
export function errorByCode(code: number): ErrorCodeInfo | undefined {
  return BY_CODE.get(code);
}

export function errorByName(name: string): ErrorCodeInfo | undefined {
  return BY_NAME.get(name);
}

/** Like Kafka's Errors.forCode: an unknown code reads as UNKNOWN_SERVER_ERROR. */
export function errorInfo(code: number): ErrorCodeInfo {
  return BY_CODE.get(code) ?? BY_CODE.get(-1)!;
}

export function isRetriable(code: number): boolean {
  return BY_CODE.get(code)?.retriable ?? false;
}
