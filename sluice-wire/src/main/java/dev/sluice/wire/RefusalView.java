package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.Refusal;
import dev.sluice.model.WorkerState;
import java.util.List;

/**
 * The 409 body of a refused transition, and what a dry-run would have been refused with.
 *
 * @param error always {@code refused}, so that every error body of the API has an {@code error} code
 * @param kind a {@link dev.sluice.model.RefusalKind}'s wire name
 * @param node the incarnation the request was decided against, or {@code null}
 * @param allowed the states the same actor may ask for from {@code current}
 * @param allowedWithForce the states it may ask for with force
 * @param blocking the partitions that stop it, for a drain pre-check
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RefusalView(
        String error,
        String kind,
        String message,
        String node,
        WorkerState current,
        WorkerState requested,
        List<WorkerState> allowed,
        List<WorkerState> allowedWithForce,
        List<BlockingPartition> blocking) {

    public RefusalView {
        allowed = Lists.copyOrEmpty(allowed);
        allowedWithForce = Lists.copyOrEmpty(allowedWithForce);
        blocking = Lists.copyOrEmpty(blocking);
    }

    public static RefusalView of(Refusal refusal) {
        return new RefusalView("refused", refusal.kind().wireName(), refusal.message(),
                refusal.node() == null ? null : refusal.node().toString(), refusal.current(), refusal.requested(),
                refusal.allowedNext(), refusal.allowedWithForce(), refusal.blocking());
    }
}
