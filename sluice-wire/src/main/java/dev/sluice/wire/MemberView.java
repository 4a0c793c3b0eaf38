package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One member of a partition's replica set as its own worker reports it, asked when one partition is shown
 * ({@code GET /api/v1/partitions/{partition}}).
 *
 * @param node the member's id
 * @param role its Raft role; {@code null} when the worker did not say
 * @param appliedIndex the last log index it applied; {@code null} when the worker did not say
 * @param lag committed entries it has not applied yet; {@code null} when the worker did not say
 * @param unknownBecause why the worker did not say (it did not answer, or does not host the partition);
 *     {@code null} when it did
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MemberView(String node, ReplicaRole role, Long appliedIndex, Long lag, String unknownBecause) {}
