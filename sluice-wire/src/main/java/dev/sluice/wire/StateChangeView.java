package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * A node's last worker-state change ({@code lastChange} of a {@link NodeView}).
 *
 * @param actor who made it, an {@link dev.sluice.model.Actor}'s wire name
 * @param version the nodes-configuration version the change produced
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StateChangeView(Instant at, String actor, String reason, long version) {}
