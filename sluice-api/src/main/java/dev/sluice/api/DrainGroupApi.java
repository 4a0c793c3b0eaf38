package dev.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.TransferEstimate;
import dev.sluice.controller.ControllerStatus;
import dev.sluice.controller.DrainDeadline;
import dev.sluice.controller.DrainGroup;
import dev.sluice.controller.DrainGroupProgress;
import dev.sluice.controller.DrainGroupRequests;
import dev.sluice.controller.DrainProgress;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Scope;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.Move;
import dev.sluice.wire.DrainGroupPlanView;
import dev.sluice.wire.DrainGroupView;
import dev.sluice.wire.RefusalView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The admin API's group-drain routes, independent of the HTTP server: start (or dry-run) a drain of several
 * workers or of a zone, list them, show one, cancel one. {@link DrainGroupRequests} decides; the controller leader
 * drains and publishes each group's progress, which these answers carry.
 */
public final class DrainGroupApi {

    private static final Set<String> START_FIELDS = Set.of("nodes", "zone", "deadlineSeconds", "reason", "force", "dryRun");
    /** A plan lists at most this many moves, and as many leadership changes, and counts them all: a zone of a large cluster has a million. */
    static final int MAX_LISTED_CHANGES = 1_000;

    private final DrainGroupRequests requests;
    private final ClusterMetadata metadata;
    private final ControllerDocuments documents;
    private final TransferEstimator transfers;

    /** A plan's ETA with the data its moves copy: the waves' time, the moves, the workers they leave, the caller's authorization. */
    interface TransferEstimator {
        TransferEstimate estimate(long wavesSeconds, List<Move> moves, List<NodeConfig> leaving, Optional<String> authorization);
    }

    DrainGroupApi(DrainGroupRequests requests, ClusterMetadata metadata, TransferEstimator transfers) {
        this.requests = requests;
        this.transfers = transfers;
        this.metadata = metadata;
        this.documents = new ControllerDocuments(metadata);
    }

    /**
     * Starts a group drain: {@code {"nodes": ["worker-1", "worker-2"]}} or {@code {"zone": "eu-west.zone-a"}}, with
     * optional {@code deadlineSeconds}, {@code reason}, {@code force} (needs the {@code admin} scope) and
     * {@code dryRun}.
     */
    public ApiResponse start(byte[] body, Caller caller) {
        return start(body, caller, Optional.empty());
    }

    /** @param authorization the caller's {@code Authorization} header, to ask the members how much data they hold (the plan's ETA) */
    public ApiResponse start(byte[] body, Caller caller, Optional<String> authorization) {
        if (body.length > AdminApi.MAX_BODY_BYTES) {
            return ApiResponse.error(413, "payload-too-large", "the request body is " + body.length + " bytes; the limit is " + AdminApi.MAX_BODY_BYTES);
        }
        StartRequest request;
        try {
            request = StartRequest.parse(body);
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        if (request.force() && !request.dryRun() && !caller.may(Scope.ADMIN)) {
            return HttpAccess.forbidden(caller, Scope.ADMIN, "force a drain past its pre-check");
        }
        DrainGroupRequests.Outcome outcome = requests.start(new DrainGroupRequests.Selection(request.nodes(), request.zone()), request.deadline(),
                request.reason(), request.force(), request.dryRun(), caller.credential());
        NodesConfiguration nodes = metadata.nodes().current();
        return switch (outcome) {
            case DrainGroupRequests.Outcome.Invalid invalid -> ApiResponse.error(400, "bad-request", invalid.message());
            case DrainGroupRequests.Outcome.Unresolved unresolved -> AdminApi.unresolved(unresolved.resolution(), WorkerState.DRAINING);
            case DrainGroupRequests.Outcome.Refused refused -> new ApiResponse(409, RefusalView.of(AdminApi.withNodeNames(refused.refusal(), nodes)));
            case DrainGroupRequests.Outcome.Planned planned -> ApiResponse.ok(plan(planned.plan(), true, request.zone(), nodes, authorization));
            case DrainGroupRequests.Outcome.Started started -> new ApiResponse(201, view(started.group(), status(), nodes));
            case DrainGroupRequests.Outcome.Cancelled cancelled -> throw new IllegalStateException("BUG: a start is never a cancel");
            case DrainGroupRequests.Outcome.NotFound notFound -> throw new IllegalStateException("BUG: a start finds no group");
        };
    }

    /** Every group drain, newest first. */
    public ApiResponse list() {
        Optional<ControllerStatus> status = status();
        NodesConfiguration nodes = metadata.nodes().current();
        List<DrainGroup> groups = requests.list().stream().sorted(Comparator.comparing(DrainGroup::startedAt).reversed()).toList();
        // One read of the members' drains for every group listed, not one per group.
        Set<NodeId> members = new HashSet<>();
        groups.forEach(group -> members.addAll(group.nodes()));
        Map<NodeId, DrainProgress> drains = documents.drainsOf(status, members);
        return ApiResponse.ok(groups.stream().map(group -> view(group, status, drains, nodes)).toList());
    }

    public ApiResponse show(String id) {
        return requests.find(id).map(group -> ApiResponse.ok(view(group, status(), metadata.nodes().current())))
                .orElseGet(() -> ApiResponse.error(404, "not-found", "no drain has the id '" + id + "'; list them with GET /api/v1/drains"));
    }

    /** Cancels a running group drain (every member still draining goes back to active); an ended one is refused (409) saying how it ended. */
    public ApiResponse cancel(String id, String reason, Caller caller) {
        String checked;
        try {
            checked = RequestBodies.reason(reason == null ? "" : reason, "query parameter 'reason'");
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        NodesConfiguration before = metadata.nodes().current();
        return switch (requests.cancel(id, checked, caller.credential())) {
            case DrainGroupRequests.Outcome.NotFound notFound -> ApiResponse.error(404, "not-found", notFound.message());
            case DrainGroupRequests.Outcome.Cancelled cancelled -> cancelled.changed()
                    ? ApiResponse.ok(view(cancelled.group(), status(), metadata.nodes().current()))
                    : ApiResponse.error(409, "refused", "drain " + id + " is not running: it " + cancelled.group().state()
                            + (cancelled.group().endedAt() == null ? "" : " at " + cancelled.group().endedAt()));
            case DrainGroupRequests.Outcome.Refused refused -> new ApiResponse(409, RefusalView.of(AdminApi.withNodeNames(refused.refusal(), before)));
            case DrainGroupRequests.Outcome.Invalid invalid -> ApiResponse.error(400, "bad-request", invalid.message());
            case DrainGroupRequests.Outcome.Unresolved unresolved -> AdminApi.unresolved(unresolved.resolution(), null);
            case DrainGroupRequests.Outcome.Planned planned -> throw new IllegalStateException("BUG: a cancel is never a plan");
            case DrainGroupRequests.Outcome.Started started -> throw new IllegalStateException("BUG: a cancel starts nothing");
        };
    }

    private Optional<ControllerStatus> status() {
        return documents.status();
    }

    /** {@code group} as the API serves it, with its members' drains as the controller published them. */
    private DrainGroupView view(DrainGroup group, Optional<ControllerStatus> status, NodesConfiguration nodes) {
        return view(group, status, documents.drainsOf(status, group.nodes()), nodes);
    }

    /**
     * The group as the API serves it: the controller's progress when it published one for the group, otherwise (just
     * started, or ended long ago) the stored document with each member's state and no measured numbers. {@code drains} are
     * the published drains of (at least) the group's members, by node.
     */
    static DrainGroupView view(DrainGroup group, Optional<ControllerStatus> status, Map<NodeId, DrainProgress> drains, NodesConfiguration nodes) {
        UnaryOperator<String> names = text -> AdminApi.withNodeNames(text, nodes);
        Optional<DrainGroupProgress> published = status.flatMap(s -> s.drainGroup(group.id()))
                .filter(p -> p.state() == group.state() || !group.state().ended());
        if (published.isPresent()) {
            DrainGroupProgress progress = published.get();
            List<DrainGroupView.Member> members = new ArrayList<>();
            for (DrainGroup.Member member : group.members()) {
                DrainProgress drain = drains.get(member.node());
                if (drain != null && !DrainGroupProgress.isOf(drain, group)) {
                    drain = null;
                }
                WorkerState state = nodes.find(member.node()).map(NodeConfig::workerState).orElse(WorkerState.DISABLED);
                members.add(new DrainGroupView.Member(member.node(), member.name(), state, drain == null ? null : WireViews.drain(drain, names)));
            }
            DrainDeadline deadline = group.state().ended() && progress.state() != group.state()
                    ? DrainDeadline.judge(group.deadline(), Instant.now(), group.endedAt(), 0L, false) : progress.deadlineStatus();
            return new DrainGroupView(group.id(), group.reason(), group.zone(), group.state().wireName(), group.startedAt(), group.endedAt(), members,
                    progress.replicasAtStart(), progress.replicasRemaining(), progress.leadershipsRemaining(), progress.movesInFlight(), progress.movesDone(),
                    progress.ratePerMinute(), progress.etaSeconds(), progress.stalled(),
                    progress.stalledPartitions().stream().map(s -> new dev.sluice.wire.DrainView.StalledPartition(s.partition(), s.worker(),
                            s.reason().wireName(), names.apply(s.message()), s.since())).toList(),
                    group.deadline(), deadline.wireName(), progress.timeLeftSeconds(), true, progress.updatedAt(), group.pending().size());
        }
        List<DrainGroupView.Member> members = group.members().stream().map(member -> new DrainGroupView.Member(member.node(), member.name(),
                nodes.find(member.node()).map(NodeConfig::workerState).orElse(WorkerState.DISABLED), null)).toList();
        Instant now = Instant.now();
        DrainDeadline deadline = DrainDeadline.judge(group.deadline(), now, group.state().ended() ? group.endedAt() : null, null, false);
        return new DrainGroupView(group.id(), group.reason(), group.zone(), group.state().wireName(), group.startedAt(), group.endedAt(), members,
                0, 0, 0, 0, 0, 0, group.state().ended() ? Long.valueOf(0) : null, false, List.of(), group.deadline(), deadline.wireName(),
                group.deadline() == null ? null : Duration.between(now, group.deadline()).toSeconds(), false, group.updatedAt(), group.pending().size());
    }

    private DrainGroupPlanView plan(DrainGroupRequests.Plan plan, boolean dryRun, String zone, NodesConfiguration nodes, Optional<String> authorization) {
        TransferEstimate transfer = transfers.estimate(plan.waves().count() * TransferEstimate.MOVE_ESTIMATE.toSeconds(), plan.dryRun().moves(),
                plan.members().stream().map(DrainGroupRequests.PlannedMember::node).toList(), authorization);
        Map<String, Integer> perWorker = new TreeMap<>();
        plan.dryRun().replicasPerWorker().forEach((node, count) -> perWorker.put(node.toString(), count));
        List<dev.sluice.model.BlockingPartition> blocking = plan.blocking().stream()
                .map(b -> new dev.sluice.model.BlockingPartition(b.partition(), b.reason(), AdminApi.withNodeNames(b.message(), nodes))).toList();
        return new DrainGroupPlanView(dryRun, plan.allowed(), zone,
                plan.members().stream().map(m -> new DrainGroupPlanView.Member(m.node().nodeId(), m.node().name(), m.node().location().toString(),
                        m.replicas(), m.leads(), m.blockingAlone())).toList(),
                blocking, plan.dryRun().moves().size(), plan.dryRun().moves().stream().limit(MAX_LISTED_CHANGES).map(WireViews::move).toList(),
                plan.dryRun().leadershipChanges().stream().limit(MAX_LISTED_CHANGES).map(WireViews::leadershipChange).toList(),
                plan.waves().listed().stream().map(w -> new DrainGroupPlanView.Wave(w.number(), w.moves().stream().map(WireViews::move).toList())).toList(),
                plan.leftOut(), perWorker, plan.limits().maxChangesPerNode(), plan.limits().maxChangesInCluster(), transfer.etaSeconds(),
                AdminApi.transferView(transfer), plan.waves().count(), plan.dryRun().leadershipChanges().size());
    }

    /** A validated start request. */
    record StartRequest(List<String> nodes, String zone, Duration deadline, String reason, boolean force, boolean dryRun) {

        static StartRequest parse(byte[] body) {
            ObjectNode object = RequestBodies.object(body, START_FIELDS, "{\"nodes\": [\"worker-1\", \"worker-2\"], \"deadlineSeconds\": 1800}");
            List<String> nodes = RequestBodies.nodeNames(object);
            String zone = RequestBodies.zone(object);
            if (!nodes.isEmpty() && zone != null) {
                throw new IllegalArgumentException("give 'nodes' or 'zone', not both");
            }
            if (nodes.isEmpty() && zone == null) {
                throw new IllegalArgumentException("give 'nodes' (a non-empty list of workers) or 'zone'");
            }
            Duration deadline = null;
            JsonNode seconds = object.get("deadlineSeconds");
            if (seconds != null && !seconds.isNull()) {
                if (!seconds.isIntegralNumber() || seconds.longValue() < DrainGroupRequests.MIN_DEADLINE.toSeconds()
                        || seconds.longValue() > DrainGroupRequests.MAX_DEADLINE.toSeconds()) {
                    throw new IllegalArgumentException("field 'deadlineSeconds' must be a whole number of seconds between "
                            + DrainGroupRequests.MIN_DEADLINE.toSeconds() + " and " + DrainGroupRequests.MAX_DEADLINE.toSeconds() + ", got " + seconds);
                }
                deadline = Duration.ofSeconds(seconds.longValue());
            }
            return new StartRequest(List.copyOf(nodes), zone, deadline, RequestBodies.reason(object), RequestBodies.flag(object, "force"),
                    RequestBodies.flag(object, "dryRun"));
        }
    }
}
