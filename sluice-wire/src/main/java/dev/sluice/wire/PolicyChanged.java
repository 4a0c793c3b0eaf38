package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The answer to a change of a partition's policy (freeze, unfreeze, pin or unpin its leader) that was applied, or
 * found already in place.
 *
 * @param changed whether this request changed the policy; {@code false} when it already was so
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PolicyChanged(PartitionView partition, boolean changed) {}
