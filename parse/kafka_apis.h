/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kafka API names by api_key, as Apache Kafka's protocol guide spells them: one list for the
 * parser's table (parse/proto_kafka.h, indexed by api_key) and the loader's name table
 * (loader/names/kafka.h). "" marks a name longer than WL_CMD_LEN - 1: it counts as OTHER.
 */
#ifndef WL_PARSE_KAFKA_APIS_H
#define WL_PARSE_KAFKA_APIS_H

#define WL_KAFKA_API_NAMES                                                                         \
	"Produce", "Fetch", "ListOffsets", "Metadata", "LeaderAndIsr", "StopReplica",              \
		"UpdateMetadata", "ControlledShutdown", "OffsetCommit", "OffsetFetch",             \
		"FindCoordinator", "JoinGroup", "Heartbeat", "LeaveGroup", "SyncGroup",            \
		"DescribeGroups", "ListGroups", "SaslHandshake", "ApiVersions", "CreateTopics",    \
		"DeleteTopics", "DeleteRecords", "InitProducerId", "OffsetForLeaderEpoch",         \
		"AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn", "WriteTxnMarkers",              \
		"TxnOffsetCommit", "DescribeAcls", "CreateAcls", "DeleteAcls", "DescribeConfigs",  \
		"AlterConfigs", "AlterReplicaLogDirs", "DescribeLogDirs", "SaslAuthenticate",      \
		"CreatePartitions", "CreateDelegationToken", "RenewDelegationToken",               \
		"ExpireDelegationToken", "DescribeDelegationToken", "DeleteGroups",                \
		"ElectLeaders", "IncrementalAlterConfigs",                                         \
		"", /* 45 AlterPartitionReassignments: longer than 23, OTHER */                    \
		"", /* 46 ListPartitionReassignments: longer than 23, OTHER */                     \
		"OffsetDelete", "DescribeClientQuotas", "AlterClientQuotas",                       \
		"", /* 50 DescribeUserScramCredentials: longer than 23, OTHER */                   \
		"", /* 51 AlterUserScramCredentials: longer than 23, OTHER */                      \
		"Vote", "BeginQuorumEpoch", "EndQuorumEpoch", "DescribeQuorum", "AlterPartition",  \
		"UpdateFeatures", "Envelope", "FetchSnapshot", "DescribeCluster",                  \
		"DescribeProducers", "BrokerRegistration", "BrokerHeartbeat", "UnregisterBroker",  \
		"DescribeTransactions", "ListTransactions", "AllocateProducerIds",                 \
		"ConsumerGroupHeartbeat", "ConsumerGroupDescribe", "ControllerRegistration",       \
		"", /* 71 GetTelemetrySubscriptions: longer than 23, OTHER */                      \
		"PushTelemetry", "AssignReplicasToDirs",                                           \
		"", /* 74 ListClientMetricsResources: longer than 23, OTHER */                     \
		"DescribeTopicPartitions",

#endif /* WL_PARSE_KAFKA_APIS_H */
