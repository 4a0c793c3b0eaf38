package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * The controller leader as its last published status shows it.
 *
 * @param leader the participant id (node name) of the controller leader
 * @param epoch the leader's fencing epoch
 * @param passes passes run by this leader
 * @param lastPassMillis how long the last pass took
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ControllerView(String leader, long epoch, Instant updatedAt, long passes, long lastPassMillis) {}
