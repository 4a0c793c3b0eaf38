package dev.sluice.controller;

import dev.sluice.metadata.Fence;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.model.Actor;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.CredentialName;
import dev.sluice.model.Durations;
import dev.sluice.model.EventKind;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Group drains as the controller leader follows them, every pass: it picks up a group once its members are
 * draining, computes one {@link DrainGroupProgress} for it, records (under its fence) when its deadline becomes
 * at risk and when it ends, and writes the events for both. It keeps a copy of the groups' documents, read in full
 * when its term begins and one by one as draining workers name new ones, so a pass costs no store read unless
 * something changed; the documents are the truth, so a new leader resumes where the last one stood.
 *
 * <p>A group ends once none of its members is draining under the group's request: {@code completed} when every
 * member is disabled (or some were taken out of the drain one by one), {@code cancelled} when an operator cancelled
 * it (the cancel writes that itself, with the members' return to active).
 */
final class DrainGroups {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DrainGroups.class);

    /** How long an ended group's progress stays in the published status, so a CLI following it sees how it ended. */
    static final Duration SHOWN_AFTER_END = Duration.ofMinutes(10);
    /**
     * How long an ended group's document is kept, for {@code sluice drains show} and the API; its events stay in the
     * event log. Without an end every group drain ever run stayed in the store, and in every new leader's memory.
     */
    static final Duration KEPT_AFTER_END = Duration.ofDays(7);
    /** The most ended groups kept, however recent: the newest ones. */
    static final int MAX_ENDED_KEPT = 100;
    /** Deletions in one commit, so a store holding thousands of old groups (from before they were pruned) is cleared over a few passes. */
    static final int MAX_PRUNED_PER_PASS = 100;

    private final NodesConfigurationStore nodesStore;
    private final ControllerDocuments documents;
    private final StatusPublisher publisher;
    private final ControllerMetrics metrics;
    private final Map<String, ControllerDocuments.StoredDrainGroup> groups;
    /** Groups whose passing of the deadline was reported in this term (a new leader may report it once more). */
    private final Set<String> overdueReported = new HashSet<>();

    DrainGroups(NodesConfigurationStore nodesStore, ControllerDocuments documents, StatusPublisher publisher, ControllerMetrics metrics) {
        this.nodesStore = nodesStore;
        this.documents = documents;
        this.publisher = publisher;
        this.metrics = metrics;
        this.groups = new HashMap<>(documents.drainGroups());
    }

    List<DrainGroupProgress> track(NodesConfiguration nodes, List<DrainProgress> drains, Fence fence, Instant now) {
        discover(nodes);
        Map<NodeId, DrainProgress> byNode = new HashMap<>();
        drains.forEach(drain -> byNode.put(drain.node(), drain));
        List<DrainGroupProgress> shown = new ArrayList<>();
        for (String id : new ArrayList<>(new TreeMap<>(groups).keySet())) {
            ControllerDocuments.StoredDrainGroup stored = groups.get(id);
            if (!stored.group().pending().isEmpty()) {
                try {
                    Written written = writePending(stored, fence, now);
                    stored = written.group();
                    nodes = written.nodes();
                    groups.put(id, stored);
                } catch (PreconditionFailedException moved) {
                    if (!moved.key().startsWith(ControllerDocuments.DRAIN_GROUPS)) {
                        throw moved;
                    }
                    // A cancel wrote it meanwhile: take the stored one, decide again next pass.
                    documents.drainGroup(id).ifPresentOrElse(fresh -> groups.put(id, fresh), () -> groups.remove(id));
                    continue;
                }
            }
            DrainGroup group = stored.group();
            if (!group.state().ended()) {
                try {
                    group = step(stored, nodes, byNode, fence, now);
                } catch (PreconditionFailedException moved) {
                    if (!moved.key().startsWith(ControllerDocuments.DRAIN_GROUPS)) {
                        throw moved;
                    }
                    // A cancel wrote it meanwhile: take the stored one, decide again next pass.
                    documents.drainGroup(id).ifPresentOrElse(fresh -> groups.put(id, fresh), () -> groups.remove(id));
                    continue;
                }
            }
            if (!group.state().ended() || group.endedAt() == null || group.endedAt().plus(SHOWN_AFTER_END).isAfter(now)) {
                shown.add(DrainGroupProgress.of(group, byNode, nodes, now));
            }
        }
        prune(fence, now);
        metrics.drainGroups(shown);
        return shown;
    }

    /** Deletes the documents of ended groups past {@link #KEPT_AFTER_END} or beyond the newest {@link #MAX_ENDED_KEPT}. */
    private void prune(Fence fence, Instant now) {
        List<ControllerDocuments.StoredDrainGroup> pruned = toPrune(groups.values(), now);
        if (pruned.isEmpty()) {
            return;
        }
        try {
            documents.deleteDrainGroups(pruned, fence);
            pruned.forEach(stored -> groups.remove(stored.group().id()));
        } catch (PreconditionFailedException changed) {
            if (!changed.key().startsWith(ControllerDocuments.DRAIN_GROUPS)) {
                throw changed;
            }
            // An ended group's document is written by no one; should one have changed all the same, read them all again.
            groups.clear();
            groups.putAll(documents.drainGroups());
        }
    }

    /** The ended groups to delete now, oldest first, at most {@link #MAX_PRUNED_PER_PASS}. */
    static List<ControllerDocuments.StoredDrainGroup> toPrune(java.util.Collection<ControllerDocuments.StoredDrainGroup> groups, Instant now) {
        List<ControllerDocuments.StoredDrainGroup> ended = new ArrayList<>(groups.stream()
                .filter(stored -> stored.group().state().ended())
                .sorted(java.util.Comparator.comparing((ControllerDocuments.StoredDrainGroup stored) -> endOf(stored.group()))
                        .thenComparing(stored -> stored.group().id()))
                .toList());
        List<ControllerDocuments.StoredDrainGroup> pruned = new ArrayList<>();
        for (int i = 0; i < ended.size() && pruned.size() < MAX_PRUNED_PER_PASS; i++) {
            boolean beyondNewest = ended.size() - i > MAX_ENDED_KEPT;
            boolean expired = !endOf(ended.get(i).group()).plus(KEPT_AFTER_END).isAfter(now);
            if (beyondNewest || expired) {
                pruned.add(ended.get(i));
            }
        }
        return pruned;
    }

    /** When a group ended; a document from before {@code endedAt} was recorded says it by its last update. */
    private static Instant endOf(DrainGroup group) {
        return group.endedAt() != null ? group.endedAt() : group.updatedAt();
    }

    /** Reads the document of every group a draining worker names that this controller does not know yet. */
    private void discover(NodesConfiguration nodes) {
        for (NodeConfig worker : nodes.workers()) {
            String requestId = worker.lastStateChange().requestId();
            if (worker.workerState() == WorkerState.DRAINING && requestId.startsWith(GROUP_REQUEST_PREFIX)) {
                String id = requestId.substring(GROUP_REQUEST_PREFIX.length());
                if (!groups.containsKey(id)) {
                    documents.drainGroup(id).ifPresent(stored -> groups.put(id, stored));
                }
            }
        }
    }

    static final String GROUP_REQUEST_PREFIX = "drain-group-";

    /** A group's document as written, and the nodes configuration after the write. */
    private record Written(ControllerDocuments.StoredDrainGroup group, NodesConfiguration nodes) {}

    /**
     * Writes the next of a group's pending changes of state, as many as one write of the nodes configuration takes beside
     * the group's document ({@link DrainGroup#membersPerWrite}), with the document in the same commit: a running group's
     * members made draining, under the pre-check the request judged for the whole group; a cancelled group's returned to
     * active. A member no longer as the group left it (another incarnation, removed, or no longer in the state it
     * leaves) is dropped from the list, and an event says so.
     *
     * @throws PreconditionFailedException if the group's document changed since it was read (a cancel)
     */
    private Written writePending(ControllerDocuments.StoredDrainGroup stored, Fence fence, Instant now) {
        DrainGroup group = stored.group();
        boolean running = !group.state().ended();
        int perWrite = DrainGroup.membersPerWrite(ControllerDocuments.drainGroupBytes(group));
        List<NodeId> batch = group.pending().subList(0, Math.min(group.pending().size(), perWrite));
        Map<NodeId, DrainGroup.Member> members = new HashMap<>();
        group.members().forEach(member -> members.put(member.node(), member));
        DrainGroup next = group.withPending(group.pending().subList(batch.size(), group.pending().size()), now);
        CredentialName credential = group.credential() == null ? null : CredentialName.of(group.credential());
        List<String> dropped = new ArrayList<>();
        NodesConfigurationStore.Update update;
        try {
            update = nodesStore.update(current -> {
                dropped.clear();
                List<GenerationalNodeId> changing = new ArrayList<>();
                for (NodeId node : batch) {
                    Optional<NodeConfig> config = current.find(node);
                    boolean asLeft = config.isPresent() && (running
                            ? config.get().workerState() == WorkerState.ACTIVE && members.containsKey(node) && members.get(node).incarnation().equals(config.get().id())
                            : config.get().workerState() == WorkerState.DRAINING && config.get().lastStateChange().requestId().equals(group.requestId()));
                    if (asLeft) {
                        changing.add(config.get().id());
                    } else {
                        dropped.add(current.label(node) + " (" + config.map(c -> c.workerState().toString()).orElse("removed") + ")");
                    }
                }
                if (changing.isEmpty()) {
                    throw new NothingToWrite();
                }
                return running
                        ? new NodesChange.TransitionWorkers(changing, WorkerState.DRAINING, Actor.OPERATOR, group.reason(), false, group.id(),
                                GuardFacts.DrainPrecheck.PASSED, Map.of(), group.requestId(), now, credential)
                        : new NodesChange.TransitionWorkers(changing, WorkerState.ACTIVE, Actor.OPERATOR, "drain " + group.id() + " cancelled", false,
                                group.id(), null, Map.of(), "cancel-" + group.requestId(), now, credential);
            }, List.of(fence), changed -> List.of(documents.updateDrainGroup(next, stored.version())));
        } catch (NothingToWrite nothing) {
            update = null;
        }
        if (update != null && update.result() instanceof ChangeResult.Refused refused) {
            dropped.add(batch.size() + " worker(s) refused together: " + refused.refusal().message());
        }
        List<ClusterEvent> events = dropped.isEmpty() ? List.of()
                : List.of(ClusterEvent.of(now, running ? EventKind.DRAIN_GROUP_STARTED : EventKind.DRAIN_GROUP_CANCELLED, null, null, "drain " + group.id()
                        + (running ? " could not make draining: " : " could not return to active: ") + String.join(", ", abbreviated(dropped)),
                        Map.of("workers", (long) dropped.size())));
        NodesConfiguration after;
        if (update != null && update.result() instanceof ChangeResult.Changed) {
            if (!events.isEmpty()) {
                publisher.logEvent(events.getFirst());
            }
            after = update.configuration();
        } else {
            // Nothing of the batch could change: the document alone drops it.
            documents.writeDrainGroup(next, stored.version(), events, fence);
            after = update == null ? nodesStore.current() : update.configuration();
        }
        ControllerDocuments.StoredDrainGroup written = documents.drainGroup(group.id()).orElseThrow(() -> new IllegalStateException(
                "BUG: drain group " + group.id() + " was written and is gone"));
        log.info("drain {}: {} {} worker(s), {} still pending{}", group.id(), running ? "made draining" : "returned to active", batch.size() - dropped.size(),
                next.pending().size(), dropped.isEmpty() ? "" : "; dropped " + dropped);
        return new Written(written, after);
    }

    /** The most members a message names one by one: a zone's group has thousands. */
    static final int MAX_NAMED = 20;

    /** {@code items} up to {@link #MAX_NAMED}, then how many more there are. */
    static List<String> abbreviated(List<String> items) {
        if (items.size() <= MAX_NAMED) {
            return items;
        }
        List<String> named = new ArrayList<>(items.subList(0, MAX_NAMED));
        named.add("and " + (items.size() - MAX_NAMED) + " more");
        return named;
    }

    /** Raised inside the update when no member of the batch can change any more. */
    private static final class NothingToWrite extends RuntimeException {
        NothingToWrite() {
            super(null, null, false, false);
        }
    }

    /** One pass of a running group: end it, or record a change of its deadline's standing. Returns it as it is now. */
    private DrainGroup step(ControllerDocuments.StoredDrainGroup stored, NodesConfiguration nodes, Map<NodeId, DrainProgress> byNode, Fence fence,
            Instant now) {
        DrainGroup group = stored.group();
        boolean anyDraining = false;
        boolean allDisabled = true;
        for (DrainGroup.Member member : group.members()) {
            Optional<NodeConfig> node = nodes.find(member.node());
            boolean draining = node.filter(n -> n.workerState() == WorkerState.DRAINING && n.lastStateChange().requestId().equals(group.requestId()))
                    .isPresent();
            anyDraining |= draining;
            allDisabled &= node.map(n -> n.workerState() == WorkerState.DISABLED).orElse(true);
        }
        if (!anyDraining && group.pending().isEmpty()) {
            // Re-read first: an operator's cancel ends it with its own words.
            Optional<ControllerDocuments.StoredDrainGroup> fresh = documents.drainGroup(group.id());
            if (fresh.isEmpty() || fresh.get().group().state().ended()) {
                fresh.ifPresentOrElse(f -> groups.put(group.id(), f), () -> groups.remove(group.id()));
                return fresh.map(ControllerDocuments.StoredDrainGroup::group).orElse(group.ended(DrainGroup.State.COMPLETED, now));
            }
            DrainGroup ended = fresh.get().group().ended(DrainGroup.State.COMPLETED, now);
            // The group was started on some node's clock, and is ended on this one's: never a negative duration.
            Duration took = Duration.between(ended.startedAt(), now).isNegative() ? Duration.ZERO : Duration.between(ended.startedAt(), now);
            DrainGroupProgress last = DrainGroupProgress.of(ended, byNode, nodes, now);
            List<String> notDisabled = new ArrayList<>();
            for (int i = 0; i < ended.members().size(); i++) {
                if (last.memberStates().get(i) != WorkerState.DISABLED) {
                    notDisabled.add(nodes.label(ended.members().get(i).node()) + " is " + last.memberStates().get(i));
                }
            }
            String message = "drain " + ended.id() + " of " + ended.members().size() + " worker(s) completed in "
                    + Durations.human(took) + ": " + last.movesDone() + " replicas moved"
                    + (allDisabled ? ", every worker disabled" : "; taken out of the drain: " + String.join(", ", notDisabled))
                    + (ended.deadline() == null ? "" : "; deadline " + ended.deadline() + " " + last.deadlineStatus());
            long written = documents.writeDrainGroup(ended, fresh.get().version(), List.of(ClusterEvent.of(now, EventKind.DRAIN_GROUP_COMPLETED, null, null, message,
                    Map.of("workers", (long) ended.members().size(), "replicasMoved", (long) last.movesDone(),
                            "durationMillis", took.toMillis()))), fence);
            groups.put(ended.id(), new ControllerDocuments.StoredDrainGroup(ended, written));
            return ended;
        }
        DrainGroupProgress progress = DrainGroupProgress.of(group, byNode, nodes, now);
        boolean warns = progress.deadlineStatus().warns();
        if (progress.deadlineStatus() == DrainDeadline.OVERDUE && overdueReported.add(group.id())) {
            publisher.logEvent(ClusterEvent.of(now, EventKind.DRAIN_GROUP_AT_RISK, null, null, "drain " + group.id() + " is OVERDUE: its deadline "
                    + group.deadline() + " passed with " + progress.replicasRemaining() + " of " + progress.replicasAtStart() + " replicas left",
                    Map.of("replicasRemaining", (long) progress.replicasRemaining())));
        }
        if (warns == group.atRisk()) {
            return group;
        }
        DrainGroup marked = group.withAtRisk(warns, now);
        List<ClusterEvent> events = warns
                ? List.of(ClusterEvent.of(now, EventKind.DRAIN_GROUP_AT_RISK, null, null, "drain " + group.id() + " is AT RISK of missing its deadline "
                        + group.deadline() + " (" + Durations.human(Duration.between(now, group.deadline()).isNegative() ? Duration.ZERO
                                : Duration.between(now, group.deadline())) + " left): " + (progress.stalled() ? "it is stalled, so its ETA is unknown"
                                : "ETA " + Durations.human(Duration.ofSeconds(progress.etaSeconds()))) + "; " + progress.replicasRemaining() + " of "
                        + progress.replicasAtStart() + " replicas left", Map.of("replicasRemaining", (long) progress.replicasRemaining())))
                : List.of();
        long written = documents.writeDrainGroup(marked, stored.version(), events, fence);
        groups.put(marked.id(), new ControllerDocuments.StoredDrainGroup(marked, written));
        return marked;
    }
}
