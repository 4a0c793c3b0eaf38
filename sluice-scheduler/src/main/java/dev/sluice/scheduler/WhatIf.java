package dev.sluice.scheduler;

import dev.sluice.model.Location;
import dev.sluice.model.NodeId;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A hypothetical change to the nodes configuration for a dry-run: workers to treat as Draining or as
 * Disabled, and Active, alive workers to add. Nothing is stored.
 *
 * @param add new workers, with ids that no node (live or removed) has
 */
public record WhatIf(Set<NodeId> drain, Set<NodeId> disable, List<NewWorker> add) {

    public static final WhatIf NOTHING = new WhatIf(Set.of(), Set.of(), List.of());

    /** A worker that does not exist yet, added as Active and alive. */
    public record NewWorker(NodeId id, Location location) {
        public NewWorker {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(location, "location");
        }
    }

    /**
     * @throws IllegalArgumentException if a node is named twice
     */
    public WhatIf {
        drain = Set.copyOf(drain);
        disable = Set.copyOf(disable);
        add = List.copyOf(add);
        Set<NodeId> seen = new HashSet<>();
        for (NodeId id : drain) {
            seen.add(id);
        }
        for (NodeId id : disable) {
            if (!seen.add(id)) {
                throw new IllegalArgumentException(id + " cannot be both drained and disabled");
            }
        }
        for (NewWorker worker : add) {
            if (!seen.add(worker.id())) {
                throw new IllegalArgumentException(worker.id() + " is named twice in the what-if");
            }
        }
    }

    public static WhatIf draining(NodeId... nodes) {
        return new WhatIf(Set.of(nodes), Set.of(), List.of());
    }

    public static WhatIf disabling(NodeId... nodes) {
        return new WhatIf(Set.of(), Set.of(nodes), List.of());
    }

    public static WhatIf adding(NewWorker... workers) {
        return new WhatIf(Set.of(), Set.of(), List.of(workers));
    }
}
