package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The data a plan of moves copies, and what the catch-up transfer limit makes of it (part of a replace's and a group
 * drain's plan).
 *
 * @param bytes the state the moved replicas hold, as their current members report it
 * @param busiestReceiverBytes what the worker receiving the most takes in: under the limit it needs at least this over
 *     {@code bytesPerSecond}
 * @param bytesPerSecond the catch-up transfer limit counted with; {@code 0} for none
 * @param unknownSizes moved partitions no member reported a size for, counted as empty
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TransferView(long bytes, long busiestReceiverBytes, long bytesPerSecond, int unknownSizes) {}
