package dev.sluice.controller;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.WireNames;
import java.time.Duration;
import java.time.Instant;

/**
 * How a drain stands against its deadline ({@code --deadline 30m}). The deadline changes nothing the controller
 * does — it neither cancels nor forces — it only makes the drain say, before the deadline passes, that it will
 * probably miss it. Judged every pass by {@link #judge}, a pure function of the time now (passed in).
 */
public enum DrainDeadline {
    /** The drain has no deadline. */
    NONE,
    /** Running, and the ETA fits in the time left (or no move has completed yet, so there is no estimate, and nothing is stalled). */
    ON_TRACK,
    /** Running, the deadline has not passed, and the ETA exceeds the time left, or a stall makes the ETA unknown. */
    AT_RISK,
    /** Running past its deadline. */
    OVERDUE,
    /** Ended (finished or cancelled) by its deadline. */
    MET,
    /** Ended after its deadline. */
    MISSED;

    /**
     * The rule, in order:
     * <ol>
     *   <li>no deadline: {@code none};
     *   <li>ended: {@code met} if it ended at or before the deadline, else {@code missed};
     *   <li>now at or past the deadline: {@code overdue};
     *   <li>stalled (the ETA is unknown because something blocks the drain): {@code at-risk};
     *   <li>an ETA that exceeds the time left: {@code at-risk};
     *   <li>otherwise (the ETA fits, or there is no estimate yet and nothing is stalled): {@code on-track}.
     * </ol>
     *
     * @param endedAt when the drain ended, or {@code null} while it runs
     * @param etaSeconds the drain's estimate of the time left, or {@code null} when it has none
     */
    public static DrainDeadline judge(Instant deadline, Instant now, Instant endedAt, Long etaSeconds, boolean stalled) {
        if (deadline == null) {
            return NONE;
        }
        if (endedAt != null) {
            return endedAt.isAfter(deadline) ? MISSED : MET;
        }
        if (!now.isBefore(deadline)) {
            return OVERDUE;
        }
        if (stalled) {
            return AT_RISK;
        }
        if (etaSeconds != null && Duration.ofSeconds(etaSeconds).compareTo(Duration.between(now, deadline)) > 0) {
            return AT_RISK;
        }
        return ON_TRACK;
    }

    /** At risk or overdue: what the metric, the event and the dashboard's warning stand for. */
    public boolean warns() {
        return switch (this) {
            case AT_RISK, OVERDUE -> true;
            case NONE, ON_TRACK, MET, MISSED -> false;
        };
    }

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static DrainDeadline parse(String text) {
        return WireNames.parse(DrainDeadline.class, "drain deadline status", text);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
