package dev.sluice.worker;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends leadership transfers that Ratis left pending on this node's leaders, by making the leader step down —
 * the only way out, at the cost of one election. Ratis 3.x keeps a transfer that failed before it started
 * (its target refused the connection before the leader looked) pending until an election, and its leader
 * refuses every write meanwhile ({@code RatisFailures.leavesTransferPending} has the details). Two ways in:
 * <ul>
 *   <li>a transfer this node asked for failed that way ({@link #stepDown}, at once);
 *   <li>writes to a division were refused as "stepping down" without a break for {@link #STUCK_AFTER}, longer
 *       than any transfer Sluice asks for may take (the controller's take 4 s, this node's 3 s): someone
 *       else's transfer was left pending ({@link #refused}).
 * </ul>
 * Owns the time each division began refusing writes, this node's client id for step-down requests, and how many
 * step-downs it asked for by cause (the metric {@code sluice_node_stuck_transfer_step_downs_total}).
 */
final class StuckTransfers {

    private static final Logger log = LoggerFactory.getLogger(StuckTransfers.class);

    /** How long writes may be refused as stepping down before the division is taken for stuck: over twice the longest transfer timeout. */
    static final Duration STUCK_AFTER = Duration.ofSeconds(10);
    /** How long a step-down may take: an election among live members. */
    static final Duration STEP_DOWN_TIMEOUT = Duration.ofSeconds(5);

    private final String nodeName;
    private final InstantSource clock;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final Map<RaftGroupId, Instant> refusingSince = new ConcurrentHashMap<>();
    private final Map<StuckTransferCause, AtomicLong> stepDowns = new EnumMap<>(StuckTransferCause.class);

    StuckTransfers(String nodeName, InstantSource clock) {
        this.nodeName = nodeName;
        this.clock = clock;
        for (StuckTransferCause cause : StuckTransferCause.values()) {
            stepDowns.put(cause, new AtomicLong());
        }
    }

    /** A write to {@code group}'s leader here was refused as stepping down; steps it down if that has gone on too long. */
    void refused(RaftServer server, RaftGroupId group) {
        Instant now = clock.instant();
        Instant since = refusingSince.computeIfAbsent(group, g -> now);
        if (!since.plus(STUCK_AFTER).isAfter(now) && refusingSince.remove(group, since)) {
            stepDown(server, group, StuckTransferCause.WRITES_REFUSED, "its writes were refused as stepping down for " + Duration.between(since, now).toSeconds()
                    + " s, longer than any leadership transfer may take");
        }
    }

    /** A write to {@code group}'s leader here went through (or it no longer leads): it is not stuck. */
    void accepted(RaftGroupId group) {
        refusingSince.remove(group);
    }

    /** Step-downs asked for so far for {@code cause}, whether Ratis then carried them out or not. */
    long stepDowns(StuckTransferCause cause) {
        return stepDowns.get(cause).get();
    }

    /** Makes this node's leader of {@code group} step down, saying why in the log; failures are logged, never thrown. */
    void stepDown(RaftServer server, RaftGroupId group, StuckTransferCause cause, String why) {
        stepDowns.get(cause).incrementAndGet();
        log.warn("{}: {}: Ratis left a leadership transfer pending on the leader here ({}); it steps down", nodeName, group, why);
        TransferLeadershipRequest request = new TransferLeadershipRequest(clientId, server.getId(), group, callIds.incrementAndGet(), null,
                STEP_DOWN_TIMEOUT.toMillis());
        try {
            server.transferLeadershipAsync(request).whenComplete((reply, failed) -> {
                if (failed != null || !reply.isSuccess()) {
                    log.warn("{}: {}: stepping down failed: {}", nodeName, group, failed != null ? failed.toString() : String.valueOf(reply.getException()));
                }
            });
        } catch (IOException | RuntimeException refused) {
            log.warn("{}: {}: stepping down was refused: {}", nodeName, group, refused.toString());
        }
    }
}
