package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * The controller's throttles as operators set them at run time ({@code GET/PUT /api/v1/settings}).
 *
 * @param maxChangesPerNode replica-set changes under way that may involve one worker
 * @param maxChangesInCluster replica-set changes under way in the whole cluster
 * @param source {@code stored} when an operator set them (every node and the next controller use them), {@code flags}
 *     while none are stored (then each controller uses its own {@code sluice server} flags, and this node's are shown)
 * @param changedAt when an operator last changed them, or {@code null}
 * @param changedBy who did ({@code operator}), or {@code null}
 * @param credential the API credential that did, or {@code null}
 * @param inUse the throttles the controller leader's last pass planned with, or {@code null} before it published them
 * @param maxTransferBytesPerSecond the byte rate at which the answering node's worker takes in catch-up traffic
 *     (snapshots and committed log for its new replicas); {@code 0} for no limit
 * @param transferRateSource {@code stored} when an operator set the rate for every node, {@code node-flag} while each
 *     node uses its own {@code sluice server --max-transfer-rate}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SettingsView(int maxChangesPerNode, int maxChangesInCluster, String source, Instant changedAt, String changedBy, String credential,
        InUse inUse, long maxTransferBytesPerSecond, String transferRateSource) {

    /** What the controller leader planned with. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record InUse(int maxChangesPerNode, int maxChangesInCluster, Instant at) {}

    /** The answer to a change: the settings before and after, and whether anything was written. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Changed(SettingsView before, SettingsView after, boolean changed) {}
}
