package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.metadata.Op;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.model.Actor;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.CredentialName;
import dev.sluice.model.Durations;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Placement;
import dev.sluice.model.Refusal;
import dev.sluice.model.RefusalKind;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.DrainWaves;
import dev.sluice.scheduler.DryRunReport;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.scheduler.WhatIf;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.UUID;

/**
 * Operator requests about group drains — several workers, or every active worker of a zone, drained as one
 * operation — served by any node: plan one (the combined pre-check of the set, the dry-run's moves, the waves the
 * throttles make), start one (one compare-and-set on the nodes configuration makes every member draining, in the
 * same commit as the group's document), cancel one (one compare-and-set makes every member still draining active
 * again). The controller leader follows the group ({@link DrainGroups}).
 *
 * <p>What happens when:
 * <ul>
 *   <li>a member dies: it stays draining and in the group; its leaderships move at once and its replicas are
 *       replaced from the other members (a draining worker's replicas are replaced whether it runs or not); the
 *       controller disables it once no placement names it, and the group finishes as usual;
 *   <li>the controller fails over: the group's document and each member's drain record are in the store, so the
 *       new leader resumes both; the at-risk flag is stored too, so the at-risk event is not repeated;
 *   <li>a second group drain overlaps: its workers must be active (a worker already draining is refused, naming the
 *       drain), and its combined pre-check is judged with the first group's workers already draining, so the two
 *       together must leave every partition a compliant place;
 *   <li>cancel: every member still draining under the group goes back to active in one write (moves under way
 *       finish, as for a single cancel); a member that already finished stays disabled — it holds nothing, and
 *       {@code nodes activate} brings it back;
 *   <li>one member is cancelled alone ({@code nodes cancel-drain}): the group goes on with the others, and says so
 *       when it completes.
 * </ul>
 */
public final class DrainGroupRequests {

    /** The shortest deadline a drain may be given: below it the first estimate comes after the deadline. */
    public static final Duration MIN_DEADLINE = Duration.ofSeconds(10);
    /** The longest: a drain meant to take longer than this has no deadline worth the name. */
    public static final Duration MAX_DEADLINE = Duration.ofDays(7);

    private final ClusterMetadata metadata;
    private final Lifecycle lifecycle;
    private final InstantSource clock;
    private final ControllerDocuments documents;
    private final Supplier<SchedulerLimits> limits;

    /** Plans with the limits {@code lifecycle} was started with (its flags). */
    public DrainGroupRequests(ClusterMetadata metadata, Lifecycle lifecycle, InstantSource clock) {
        this(metadata, lifecycle, lifecycle::limits, clock);
    }

    /** @param limits the throttles in force now (the operator's runtime settings over the flags), for the plan's waves */
    public DrainGroupRequests(ClusterMetadata metadata, Lifecycle lifecycle, Supplier<SchedulerLimits> limits, InstantSource clock) {
        this.metadata = metadata;
        this.lifecycle = lifecycle;
        this.limits = limits;
        this.clock = clock;
        this.documents = new ControllerDocuments(metadata);
    }

    /** Which workers to drain: those {@code nodes} names, or every active worker of {@code zone}; exactly one of the two. */
    public record Selection(List<String> nodes, String zone) {
        public Selection {
            nodes = nodes == null ? List.of() : List.copyOf(nodes);
        }
    }

    /** One worker of a plan: what it holds now, and what the pre-check would say of draining it alone. */
    public record PlannedMember(NodeConfig node, int replicas, int leads, List<BlockingPartition> blockingAlone) {}

    /**
     * What draining the set would do, judged now.
     *
     * @param blocking the partitions that block draining the set together (the combined pre-check); empty: allowed
     * @param waves the moves grouped in the waves the throttles allow at once (the first {@link Scheduler#MAX_WAVES} listed)
     * @param leftOut workers of the zone left out of a zone drain because they are not active, with their state
     * @param limits the throttles the waves follow (the operator's runtime settings over the flags)
     */
    public record Plan(List<PlannedMember> members, List<BlockingPartition> blocking, DrainWaves waves, DryRunReport dryRun,
            List<String> leftOut, SchedulerLimits limits) {
        public boolean allowed() {
            return blocking.isEmpty();
        }
    }

    /** What a request led to. */
    public sealed interface Outcome {
        /** The request is malformed (no selection, both, a zone with no active worker, a name twice, a bad deadline); nothing was written. */
        record Invalid(String message) implements Outcome {}

        /** A name does not resolve to a current node; nothing was written. */
        record Unresolved(NodeResolution resolution) implements Outcome {}

        /** Refused (a member not active, the combined pre-check); nothing was written. */
        record Refused(Refusal refusal) implements Outcome {}

        /** A dry-run; nothing was written. */
        record Planned(Plan plan) implements Outcome {}

        /** Started ({@code changed}), or found started by this same request. */
        record Started(DrainGroup group, boolean changed) implements Outcome {}

        /** Cancelled now ({@code changed}), or had already ended. */
        record Cancelled(DrainGroup group, boolean changed, List<String> notes) implements Outcome {}

        /** No group has that id. */
        record NotFound(String message) implements Outcome {}
    }

    /** Every group drain the cluster has, running or ended, by id. */
    public List<DrainGroup> list() {
        return documents.drainGroups().values().stream().map(ControllerDocuments.StoredDrainGroup::group).toList();
    }

    public Optional<DrainGroup> find(String id) {
        return documents.drainGroup(id).map(ControllerDocuments.StoredDrainGroup::group);
    }

    /**
     * Plans, or starts, a group drain.
     *
     * @param deadline how long from now the drain should take, or {@code null}
     */
    public Outcome start(Selection selection, Duration deadline, String reason, boolean force, boolean dryRun, Optional<CredentialName> credential) {
        if (deadline != null && (deadline.compareTo(MIN_DEADLINE) < 0 || deadline.compareTo(MAX_DEADLINE) > 0)) {
            return new Outcome.Invalid("the deadline must be between " + Durations.human(MIN_DEADLINE) + " and " + Durations.human(MAX_DEADLINE)
                    + " from now, got " + Durations.human(deadline));
        }
        NodesConfiguration nodes = metadata.nodes().current();
        Chosen chosen = choose(nodes, selection);
        if (chosen.failure() != null) {
            return chosen.failure();
        }
        List<NodeConfig> members = chosen.members();
        for (NodeConfig node : members) {
            if (node.workerState() != WorkerState.ACTIVE) {
                String more = node.workerState() == WorkerState.DRAINING ? " (" + describeDrain(node) + ")" : "";
                return new Outcome.Refused(new Refusal(RefusalKind.INVALID_REQUEST, NodeResolution.label(node) + " is " + node.workerState() + more
                        + "; a group drain takes active workers only", node.nodeId(), node.workerState(), WorkerState.DRAINING, List.of(), List.of(),
                        List.of()));
            }
        }
        if (dryRun) {
            return new Outcome.Planned(plan(nodes, members, chosen.leftOut()));
        }
        // A start answers with the group, not the plan: its write judges the set's pre-check itself (at a zone of 10,000 ×
        // 1,000,000 the plan took 17 s of the request's CPU).
        Instant now = clock.instant();
        String id = "d-" + UUID.randomUUID().toString().substring(0, 8);
        Instant until = deadline == null ? null : now.plus(deadline);
        List<DrainGroup.Member> memberRecords = members.stream().map(n -> new DrainGroup.Member(n.nodeId(), n.name(), n.id())).toList();
        // A group larger than one write of the nodes configuration allows begins with its first members; the controller
        // makes the others draining, a write at a time, from the document's pending list.
        int firstWrite = members.size() <= NodesChange.TransitionWorkers.MAX_MEMBERS ? members.size() : DrainGroup.FIRST_WRITE_MEMBERS;
        List<GenerationalNodeId> incarnations = members.subList(0, firstWrite).stream().map(NodeConfig::id).toList();
        List<NodeId> pending = members.subList(firstWrite, members.size()).stream().map(NodeConfig::nodeId).toList();
        DrainGroup group = new DrainGroup(id, reason, selection.zone(), memberRecords, until, now, nodes.version().next(),
                credential.map(CredentialName::toString).orElse(null), DrainGroup.State.RUNNING, null, false, now, pending);
        Set<NodeId> set = new LinkedHashSet<>(members.stream().map(NodeConfig::nodeId).toList());
        DrainGroup[] written = {group};
        NodesConfigurationStore.Update update = metadata.nodes().update(current -> {
            // The pre-check is judged on what this attempt read, so a conflict judges it again.
            List<BlockingPartition> blocking = Scheduler.drainPrecheck(lifecycle.schedulerInput(current), set);
            Map<NodeId, GuardFacts> facts = new HashMap<>();
            return new NodesChange.TransitionWorkers(incarnations, WorkerState.DRAINING, Actor.OPERATOR, reason, force, id,
                    new GuardFacts.DrainPrecheck(blocking), facts, group.requestId(), now, credential.orElse(null));
        }, List.of(), changed -> {
            written[0] = new DrainGroup(id, reason, selection.zone(), memberRecords, until, now, changed.next().version(), group.credential(),
                    DrainGroup.State.RUNNING, null, false, now, pending);
            List<Op> ops = new ArrayList<>();
            ops.add(documents.createDrainGroup(written[0]));
            return ops;
        });
        return switch (update.result()) {
            case ChangeResult.Changed changed -> new Outcome.Started(written[0], true);
            case ChangeResult.Unchanged unchanged -> new Outcome.Started(find(id).orElse(written[0]), false);
            case ChangeResult.Refused refused -> new Outcome.Refused(refused.refusal());
        };
    }

    /**
     * Cancels a running group: every member still draining under it goes back to active in one write, with the
     * group marked cancelled in the same commit. An ended group is answered as it ended ({@code changed} false).
     */
    public Outcome cancel(String id, String reason, Optional<CredentialName> credential) {
        for (int attempt = 1; attempt <= NodesConfigurationStore.MAX_ATTEMPTS; attempt++) {
            Optional<ControllerDocuments.StoredDrainGroup> stored = documents.drainGroup(id);
            if (stored.isEmpty()) {
                return new Outcome.NotFound("no drain has the id '" + id + "'; list them with GET /api/v1/drains");
            }
            DrainGroup group = stored.get().group();
            if (group.state().ended()) {
                return new Outcome.Cancelled(group, false, List.of("drain " + id + " had already ended (" + group.state() + ")"));
            }
            Instant now = clock.instant();
            // Members not yet made draining stay active: nothing is pending once cancelled but what this write cannot return.
            DrainGroup[] cancelled = {group.ended(DrainGroup.State.CANCELLED, now).withPending(List.of(), now)};
            List<String> notes = new ArrayList<>();
            try {
                NodesConfigurationStore.Update update = metadata.nodes().update(current -> {
                    List<GenerationalNodeId> back = new ArrayList<>();
                    notes.clear();
                    for (DrainGroup.Member member : group.members()) {
                        Optional<NodeConfig> node = current.find(member.node());
                        if (node.isPresent() && node.get().workerState() == WorkerState.DRAINING
                                && node.get().lastStateChange().requestId().equals(group.requestId())) {
                            back.add(node.get().id());
                        } else {
                            notes.add(current.label(member.node()) + " stays " + node.map(NodeConfig::workerState).map(Object::toString).orElse("removed")
                                    + (node.filter(n -> n.workerState() == WorkerState.DISABLED).isPresent()
                                            ? ": it had finished; 'nodes activate' brings it back" : ""));
                        }
                    }
                    List<String> named = DrainGroups.abbreviated(List.copyOf(notes));
                    notes.clear();
                    notes.addAll(named);
                    if (back.isEmpty()) {
                        throw new NoMemberDraining();
                    }
                    // Beyond one write, the controller returns the rest (the document's pending list), a write at a time.
                    int thisWrite = Math.min(back.size(), DrainGroup.membersPerWrite(ControllerDocuments.drainGroupBytes(group)));
                    List<NodeId> later = back.subList(thisWrite, back.size()).stream().map(GenerationalNodeId::id).toList();
                    cancelled[0] = cancelled[0].withPending(later, now);
                    if (!later.isEmpty()) {
                        notes.add(later.size() + " more worker(s) go back to active as the controller writes them, up to "
                                + NodesChange.TransitionWorkers.MAX_MEMBERS + " at a time");
                    }
                    return new NodesChange.TransitionWorkers(back.subList(0, thisWrite), WorkerState.ACTIVE, Actor.OPERATOR, reason.isEmpty()
                            ? "drain " + id + " cancelled" : reason, false, id, null, Map.of(), "cancel-" + group.requestId(), now, credential.orElse(null));
                }, List.of(), changed -> List.of(documents.updateDrainGroup(cancelled[0], stored.get().version())));
                return switch (update.result()) {
                    case ChangeResult.Changed changed -> new Outcome.Cancelled(cancelled[0], true, List.copyOf(notes));
                    case ChangeResult.Unchanged unchanged -> new Outcome.Cancelled(find(id).orElse(cancelled[0]), false, List.copyOf(notes));
                    case ChangeResult.Refused refused -> new Outcome.Refused(refused.refusal());
                };
            } catch (NoMemberDraining none) {
                // Every member already left the drain: mark the group cancelled on its own.
                try {
                    documents.writeDrainGroup(cancelled[0], stored.get().version(), List.of(), null);
                    return new Outcome.Cancelled(cancelled[0], true, List.copyOf(notes));
                } catch (PreconditionFailedException moved) {
                    continue;
                }
            } catch (PreconditionFailedException moved) {
                // The controller wrote the group meanwhile (at risk, or ended): judge the cancel on what it is now.
                if (!moved.key().startsWith(ControllerDocuments.DRAIN_GROUPS)) {
                    throw moved;
                }
            }
        }
        throw new dev.sluice.metadata.MetadataException("gave up cancelling drain " + id + " after " + NodesConfigurationStore.MAX_ATTEMPTS
                + " conflicting attempts");
    }

    /** Raised inside the update when no member is draining under the group any more. */
    private static final class NoMemberDraining extends RuntimeException {
        NoMemberDraining() {
            super(null, null, false, false);
        }
    }

    private record Chosen(List<NodeConfig> members, List<String> leftOut, Outcome failure) {}

    private static Chosen choose(NodesConfiguration nodes, Selection selection) {
        boolean named = !selection.nodes().isEmpty();
        boolean zoned = selection.zone() != null && !selection.zone().isBlank();
        if (named == zoned) {
            return new Chosen(List.of(), List.of(), new Outcome.Invalid(named ? "name the workers or a zone, not both"
                    : "name the workers to drain, or a zone"));
        }
        List<NodeConfig> members = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        if (named) {
            if (selection.nodes().size() > DrainGroup.MAX_MEMBERS) {
                return new Chosen(List.of(), List.of(), new Outcome.Invalid("a drain takes at most " + DrainGroup.MAX_MEMBERS
                        + " workers, got " + selection.nodes().size()));
            }
            for (String reference : selection.nodes()) {
                NodeResolution resolution = nodes.resolve(reference);
                if (!(resolution instanceof NodeResolution.Found found)) {
                    return new Chosen(List.of(), List.of(), new Outcome.Unresolved(resolution));
                }
                NodeConfig node = found.node();
                if (!node.isWorker()) {
                    return new Chosen(List.of(), List.of(), new Outcome.Invalid(NodeResolution.label(node) + " has no worker role, so it cannot be drained"));
                }
                if (members.contains(node)) {
                    return new Chosen(List.of(), List.of(), new Outcome.Invalid(NodeResolution.label(node) + " is named twice"));
                }
                members.add(node);
            }
        } else {
            String zone = selection.zone();
            List<NodeConfig> inZone = nodes.workers().stream().filter(n -> n.location().toString().equals(zone)).toList();
            if (inZone.isEmpty()) {
                return new Chosen(List.of(), List.of(), new Outcome.Invalid("no worker is in zone '" + zone + "'; zones: "
                        + String.join(", ", nodes.workers().stream().map(n -> n.location().toString()).distinct().sorted().toList())));
            }
            for (NodeConfig node : inZone) {
                if (node.workerState() == WorkerState.ACTIVE) {
                    members.add(node);
                } else {
                    leftOut.add(NodeResolution.label(node) + " (" + node.workerState() + ")");
                }
            }
            if (members.isEmpty()) {
                return new Chosen(List.of(), List.of(), new Outcome.Invalid("no worker of zone '" + zone + "' is active: " + String.join(", ", leftOut)));
            }
            if (members.size() > DrainGroup.MAX_MEMBERS) {
                return new Chosen(List.of(), List.of(), new Outcome.Invalid("zone '" + zone + "' has " + members.size() + " active workers; a drain takes at most "
                        + DrainGroup.MAX_MEMBERS + ": drain it as several groups of named workers"));
            }
        }
        return new Chosen(List.copyOf(members), List.copyOf(leftOut), null);
    }

    private Plan plan(NodesConfiguration nodes, List<NodeConfig> members, List<String> leftOut) {
        SchedulerLimits throttles = limits.get();
        SchedulerInput input = lifecycle.schedulerInput(nodes).withLimits(throttles);
        Set<NodeId> set = new LinkedHashSet<>(members.stream().map(NodeConfig::nodeId).toList());
        // One walk counts every member's replicas and leaderships: a walk per member was minutes for a zone of a large cluster.
        Map<NodeId, int[]> held = new HashMap<>();
        set.forEach(node -> held.put(node, new int[2]));
        for (Placement placement : input.placements().values()) {
            for (NodeId member : placement.current()) {
                countReplica(held, member);
            }
            for (NodeId member : placement.next()) {
                if (!placement.current().contains(member)) {
                    countReplica(held, member);
                }
            }
            int[] leader = placement.leader() == null ? null : held.get(placement.leader());
            if (leader != null) {
                leader[1]++;
            }
        }
        List<BlockingPartition> blocking = Scheduler.drainPrecheck(input, set);
        // Each member alone only when the set is refused: a subset leaves every partition at least the places the whole
        // set does, so when the set may go each member may (and a zone's thousand single checks are not made).
        Map<NodeId, List<BlockingPartition>> blockingAlone = blocking.isEmpty() ? Map.of() : Scheduler.drainPrecheckEach(input, set);
        List<PlannedMember> planned = new ArrayList<>();
        for (NodeConfig node : members) {
            int[] counts = held.get(node.nodeId());
            planned.add(new PlannedMember(node, counts[0], counts[1], blockingAlone.getOrDefault(node.nodeId(), List.of())));
        }
        DryRunReport dryRun = Scheduler.dryRun(input, new WhatIf(set, Set.of(), List.of()));
        DrainWaves waves = Scheduler.drainWaves(input, set);
        return new Plan(planned, blocking, waves, dryRun, leftOut, throttles);
    }

    private static void countReplica(Map<NodeId, int[]> held, NodeId member) {
        int[] counts = held.get(member);
        if (counts != null) {
            counts[0]++;
        }
    }

    private String describeDrain(NodeConfig node) {
        String requestId = node.lastStateChange().requestId();
        return requestId.startsWith(DrainGroups.GROUP_REQUEST_PREFIX) ? "in drain " + requestId.substring(DrainGroups.GROUP_REQUEST_PREFIX.length())
                : "drained alone since " + node.lastStateChange().at();
    }
}
