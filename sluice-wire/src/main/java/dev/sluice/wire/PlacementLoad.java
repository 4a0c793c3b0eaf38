package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Objects;

/**
 * How a worker reads the placements it reconciles its groups with ({@code placements} in the worker status), so a
 * load that does not finish says so: the worker creates and removes no group before its first load. The copy of every
 * placement that a worker reading its own through the index keeps for routing ({@code routing}) is told the same way.
 *
 * @param source where it reads them: {@code index} (its own entries of {@code placements-by-node/N<k>}: only the
 *     placements that name it) or {@code every-placement} (every placement: in a cluster whose index is not built yet,
 *     and the routing copy)
 * @param loaded whether the first load finished
 * @param placements how many placements it holds
 * @param since when it started watching (the first load is that old while {@code loaded} is false)
 * @param waitingFor what the load waits for, with the last failure if one did (how many attempts failed in a row, the
 *     last when); {@code null} once loaded, except for the routing copy while a full read after missed notifications
 *     keeps failing
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlacementLoad(String source, boolean loaded, int placements, Instant since, String waitingFor) {

    public static final String SOURCE_INDEX = "index";
    public static final String SOURCE_EVERY_PLACEMENT = "every-placement";

    public PlacementLoad {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(since, "since");
    }
}
