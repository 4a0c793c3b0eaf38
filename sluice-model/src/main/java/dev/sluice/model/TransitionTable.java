package dev.sluice.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The worker lifecycle's transition table, as data: for every (from, to) pair, which actors may ask for
 * it, which only with force, and which guard must hold. This is the one place that decides; the table in
 * {@code docs/architecture.md} is its rendering.
 *
 * <pre>
 * from → to                  who                                   guard
 * provisioning → active      node; operator with force             —
 * provisioning → disabled    operator                              —
 * active → draining          operator                              drain pre-check (force skips it)
 *   … as a replace           operator                              replace pre-check (no force; NodesConfiguration#apply)
 * active → disabled          operator with force ("drain first")   —
 * draining → active          operator (cancel)                     —
 * draining → disabled        controller; operator with force       emptied while draining (force skips it)
 * disabled → active          operator                              node alive (force does not skip it)
 * disabled → provisioning    operator                              —
 * x → x                      anyone                                no-op
 * anything else              nobody
 * </pre>
 */
public final class TransitionTable {

    private TransitionTable() {}

    /** What one actor may do with one cell of the table. */
    public enum Permission {
        ALLOWED,
        FORCE_ONLY,
        NOT_PERMITTED
    }

    /** A condition the caller proves with {@link GuardFacts} before a transition is applied. */
    public enum Guard {
        NONE,
        /** Every replica on the node has a compliant replacement among other Active, alive workers. */
        DRAIN_PRECHECK,
        /** In no current or next replica set, leads nothing, judged from placements that saw it Draining. */
        EMPTIED_WHILE_DRAINING,
        /** The node process is running. */
        NODE_ALIVE;

        /** Whether {@code force} lets an operator skip this guard. */
        public boolean skippableByForce() {
            return switch (this) {
                case NONE, DRAIN_PRECHECK, EMPTIED_WHILE_DRAINING -> true;
                case NODE_ALIVE -> false;
            };
        }
    }

    /**
     * One cell.
     *
     * @param legal false for a pair no actor may ask for
     * @param hint what an operator should do instead, shown on refusal (empty when nothing to add)
     */
    public record Cell(WorkerState from, WorkerState to, boolean legal, Map<Actor, Permission> permissions, Guard guard, String hint) {

        public Permission permission(Actor actor) {
            return permissions.getOrDefault(actor, Permission.NOT_PERMITTED);
        }

        public boolean isNoOp() {
            return from == to;
        }
    }

    private static Cell allowed(WorkerState from, WorkerState to, Map<Actor, Permission> permissions, Guard guard, String hint) {
        return new Cell(from, to, true, Map.copyOf(permissions), guard, hint);
    }

    private static Cell illegal(WorkerState from, WorkerState to, String hint) {
        return new Cell(from, to, false, Map.of(), Guard.NONE, hint);
    }

    private static Cell noOp(WorkerState state) {
        return allowed(state, state, Map.of(
                Actor.OPERATOR, Permission.ALLOWED,
                Actor.CONTROLLER, Permission.ALLOWED,
                Actor.NODE, Permission.ALLOWED), Guard.NONE, "");
    }

    /** The cell for {@code from → to}. */
    public static Cell cell(WorkerState from, WorkerState to) {
        if (from == to) {
            return noOp(from);
        }
        return switch (from) {
            case PROVISIONING -> switch (to) {
                case ACTIVE -> allowed(from, to, Map.of(Actor.NODE, Permission.ALLOWED, Actor.OPERATOR, Permission.FORCE_ONLY),
                        Guard.NONE, "a provisioning worker activates itself when its warm-up checks pass; force it to skip them");
                case DISABLED -> allowed(from, to, Map.of(Actor.OPERATOR, Permission.ALLOWED), Guard.NONE, "");
                case DRAINING -> illegal(from, to, "a provisioning worker holds nothing to drain; disable it instead");
                case PROVISIONING -> throw new IllegalStateException("BUG: no-op handled above");
            };
            case ACTIVE -> switch (to) {
                case DRAINING -> allowed(from, to, Map.of(Actor.OPERATOR, Permission.ALLOWED), Guard.DRAIN_PRECHECK, "");
                case DISABLED -> allowed(from, to, Map.of(Actor.OPERATOR, Permission.FORCE_ONLY), Guard.NONE,
                        "drain first: disabling an active worker drops its replicas at once; force it to do it anyway");
                case PROVISIONING -> illegal(from, to, "an active worker does not warm up again; drain it, then recommission it");
                case ACTIVE -> throw new IllegalStateException("BUG: no-op handled above");
            };
            case DRAINING -> switch (to) {
                case ACTIVE -> allowed(from, to, Map.of(Actor.OPERATOR, Permission.ALLOWED), Guard.NONE, "");
                case DISABLED -> allowed(from, to, Map.of(Actor.CONTROLLER, Permission.ALLOWED, Actor.OPERATOR, Permission.FORCE_ONLY),
                        Guard.EMPTIED_WHILE_DRAINING,
                        "the controller disables a draining worker once it holds nothing; force it to disable it now and lose its remaining replicas");
                case PROVISIONING -> illegal(from, to, "cancel the drain (activate) or let it finish first");
                case DRAINING -> throw new IllegalStateException("BUG: no-op handled above");
            };
            case DISABLED -> switch (to) {
                case ACTIVE -> allowed(from, to, Map.of(Actor.OPERATOR, Permission.ALLOWED), Guard.NODE_ALIVE, "");
                case PROVISIONING -> allowed(from, to, Map.of(Actor.OPERATOR, Permission.ALLOWED), Guard.NONE, "");
                case DRAINING -> illegal(from, to, "a disabled worker holds nothing to drain");
                case DISABLED -> throw new IllegalStateException("BUG: no-op handled above");
            };
        };
    }

    /** States {@code actor} may move a worker to from {@code from} without force. */
    public static List<WorkerState> allowedNext(WorkerState from, Actor actor) {
        return next(from, actor, Permission.ALLOWED);
    }

    /** States {@code actor} may move a worker to from {@code from} only with force. */
    public static List<WorkerState> allowedNextWithForce(WorkerState from, Actor actor) {
        return next(from, actor, Permission.FORCE_ONLY);
    }

    private static List<WorkerState> next(WorkerState from, Actor actor, Permission wanted) {
        List<WorkerState> result = new ArrayList<>();
        for (WorkerState to : WorkerState.values()) {
            Cell cell = cell(from, to);
            if (to != from && cell.legal() && cell.permission(actor) == wanted) {
                result.add(to);
            }
        }
        return List.copyOf(result);
    }
}
