package dev.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.ControllerStatus;
import dev.sluice.controller.MoveStep;
import dev.sluice.controller.Lifecycle;
import dev.sluice.controller.CordonRequests;
import dev.sluice.controller.MaintenanceRequests;
import dev.sluice.controller.NodeRemoval;
import dev.sluice.controller.PartitionPolicyRequests;
import dev.sluice.controller.RolloutRequests;
import dev.sluice.controller.ReplaceRequests;
import dev.sluice.controller.SettingsRequests;
import dev.sluice.controller.TransferEstimate;
import dev.sluice.controller.Throttles;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.Json;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.Maintenance;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.Durations;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.Refusal;
import dev.sluice.model.RefusalKind;
import dev.sluice.model.Scope;
import dev.sluice.model.WireNames;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.ClusterView;
import dev.sluice.wire.DrainView;
import dev.sluice.wire.DryRunView;
import dev.sluice.wire.EventView;
import dev.sluice.wire.EventsPage;
import dev.sluice.wire.CordonView;
import dev.sluice.wire.MaintenanceDryRunView;
import dev.sluice.wire.MaintenanceView;
import dev.sluice.wire.NodeRemovedView;
import dev.sluice.wire.PolicyChanged;
import dev.sluice.wire.NodeView;
import dev.sluice.wire.PartitionView;
import dev.sluice.wire.RefusalView;
import dev.sluice.wire.ShutdownStatus;
import dev.sluice.wire.ReplaceView;
import dev.sluice.wire.SettingsView;
import dev.sluice.wire.TransferView;
import dev.sluice.wire.ShutdownView;
import dev.sluice.wire.StateChangeView;
import dev.sluice.wire.StateChanged;
import dev.sluice.wire.TransitionView;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin API's behaviour, independent of the HTTP server: each method validates its input, reads the
 * metadata store (or asks {@link Lifecycle} to change a state) and answers a status and a body. Every
 * node serves it: reads come from the metadata store and the controller's published status, and state
 * changes are compare-and-set writes any node can make, so they need no forwarding. The one exception is a
 * shutdown, which only the process that stops can carry out: a request for another node is forwarded to it
 * ({@link #shutdown}).
 */
public final class AdminApi {

    /** Longest reason an operator may give for a transition. */
    public static final int MAX_REASON_CHARS = 500;
    /** Largest request body accepted. */
    public static final int MAX_BODY_BYTES = 16 * 1024;
    public static final int DEFAULT_EVENTS = 100;
    public static final int MAX_EVENTS = EventLog.MAX_READ;

    private static final Set<String> STATE_REQUEST_FIELDS = Set.of("state", "reason", "force", "dryRun");
    private static final Set<String> MAINTENANCE_REQUEST_FIELDS = Set.of("durationSeconds", "reason", "force", "dryRun");
    /** A body whose one optional field is the reason: a cordon's, a freeze's. */
    private static final Set<String> REASON_ONLY_FIELDS = Set.of("reason");
    private static final Set<String> PIN_REQUEST_FIELDS = Set.of("node", "reason");
    private static final Set<String> REPLACE_REQUEST_FIELDS = Set.of("replacement", "reason", "dryRun");
    private static final Set<String> SETTINGS_REQUEST_FIELDS = Set.of("maxChangesPerNode", "maxChangesInCluster", "maxTransferBytesPerSecond");

    private final String clusterName;
    private final ClusterMetadata metadata;
    private final Lifecycle lifecycle;
    private final MaintenanceRequests maintenance;
    private final CordonRequests cordons;
    private final NodeRemoval removal;
    private final PartitionPolicyRequests policies;
    private final RolloutApi rollouts;
    private final DrainGroupApi drainGroups;
    private final SettingsRequests settings;
    private final ReplaceRequests replaces;
    private final InstantSource clock;
    private final ControllerDocuments controller;
    private final ReplicaProbe replicaProbe;
    private final LocalNode local;
    private final ShutdownForwarding forwarding;

    /** An API that runs in no node process: a shutdown request is always forwarded to the node it names. */
    public AdminApi(String clusterName, ClusterMetadata metadata, Lifecycle lifecycle) {
        this(clusterName, metadata, lifecycle, LocalNode.NONE);
    }

    /** @param local the node process this API runs in, which it shuts down when asked to shut down itself */
    public AdminApi(String clusterName, ClusterMetadata metadata, Lifecycle lifecycle, LocalNode local) {
        this(clusterName, metadata, lifecycle, local, Optional.empty());
    }

    /**
     * @param peerTls the node's TLS context for asking other nodes (replica probes, forwarded shutdowns): it checks an
     *     {@code https://} node against the cluster's CA and presents this node's certificate; empty without TLS
     */
    public AdminApi(String clusterName, ClusterMetadata metadata, Lifecycle lifecycle, LocalNode local, Optional<javax.net.ssl.SSLContext> peerTls) {
        this.replicaProbe = new ReplicaProbe(peerTls);
        this.forwarding = new ShutdownForwarding(peerTls);
        this.clusterName = clusterName;
        this.metadata = metadata;
        this.lifecycle = lifecycle;
        this.local = java.util.Objects.requireNonNull(local, "local");
        this.clock = lifecycle.clock();
        this.maintenance = new MaintenanceRequests(metadata, lifecycle, clock);
        this.cordons = new CordonRequests(metadata, clock);
        this.removal = new NodeRemoval(metadata, clock);
        this.policies = new PartitionPolicyRequests(metadata, clock);
        this.rollouts = new RolloutApi(new RolloutRequests(metadata, lifecycle, clock));
        this.controller = new ControllerDocuments(metadata);
        this.settings = new SettingsRequests(metadata, lifecycle.limits(), clock);
        this.replaces = new ReplaceRequests(metadata, lifecycle, () -> settings.limits(lifecycle.limits()), clock);
        this.drainGroups = new DrainGroupApi(new dev.sluice.controller.DrainGroupRequests(metadata, lifecycle, () -> settings.limits(lifecycle.limits()), clock),
                metadata, this::transferEstimate);
    }

    /** The group-drain routes. */
    public DrainGroupApi drainGroups() {
        return drainGroups;
    }

    /** The rolling-restart routes. */
    public RolloutApi rollouts() {
        return rollouts;
    }

    // ------------------------------------------------------------------ nodes

    public ApiResponse nodes() {
        Snapshot snapshot = snapshot();
        Map<NodeId, dev.sluice.controller.DrainProgress> drains = controller.everyDrainOf(snapshot.status());
        List<NodeView> views = new ArrayList<>();
        for (NodeConfig node : snapshot.nodes().nodes()) {
            views.add(view(node, snapshot, drains.get(node.nodeId())));
        }
        return ApiResponse.ok(views);
    }

    public ApiResponse node(String reference) {
        Snapshot snapshot = snapshot();
        NodeResolution resolution = snapshot.nodes().resolve(reference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return unresolved(resolution, null);
        }
        return ApiResponse.ok(view(found.node(), snapshot));
    }

    /** {@code node}'s drain as the controller last published it, if there is one. */
    private Optional<dev.sluice.controller.DrainProgress> drainOf(NodeId node, Snapshot snapshot) {
        return Optional.ofNullable(controller.drainsOf(snapshot.status(), List.of(node)).get(node));
    }

    public ApiResponse drain(String reference) {
        Snapshot snapshot = snapshot();
        NodeResolution resolution = snapshot.nodes().resolve(reference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return unresolved(resolution, null);
        }
        NodeConfig node = found.node();
        return drainOf(node.nodeId(), snapshot)
                .map(drain -> ApiResponse.ok(drainView(drain, snapshot.nodes())))
                .orElseGet(() -> ApiResponse.error(404, "not-found", NodeResolution.label(node) + " has not been drained"
                        + (node.workerState() == WorkerState.DRAINING ? " yet: the controller has not picked the drain up; try again in a moment" : "")));
    }

    /**
     * Asks for a worker-state change. The body is {@code {"state": "draining", "reason": "…", "force":
     * false, "dryRun": false}}; only {@code state} is required. A forced change needs a caller with the {@code admin}
     * scope (a forced dry-run changes nothing, so it does not), and its audit record names the caller's credential.
     */
    public ApiResponse requestState(String reference, byte[] body, Caller caller) {
        if (body.length > MAX_BODY_BYTES) {
            return ApiResponse.error(413, "payload-too-large", "the request body is " + body.length + " bytes; the limit is " + MAX_BODY_BYTES);
        }
        StateRequest request;
        try {
            request = StateRequest.parse(body);
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        if (request.force() && !request.dryRun() && !caller.may(Scope.ADMIN)) {
            return HttpAccess.forbidden(caller, Scope.ADMIN, "force a change of worker state");
        }
        Lifecycle.Outcome outcome = lifecycle.request(reference, request.state(), request.reason(), request.force(), request.dryRun(),
                caller.credential());
        return switch (outcome) {
            case Lifecycle.Outcome.Unresolved unresolved -> unresolved(unresolved.resolution(), request.state());
            case Lifecycle.Outcome.Refused refused -> new ApiResponse(409, RefusalView.of(withNodeNames(refused.refusal(), metadata.nodes().current())));
            case Lifecycle.Outcome.Done done -> ApiResponse.ok(new StateChanged(view(done.node(), snapshot()), done.changed(), done.warnings()));
            case Lifecycle.Outcome.DryRun dryRun -> {
                Map<String, Integer> perWorker = new TreeMap<>();
                dryRun.plan().replicasPerWorker().forEach((node, count) -> perWorker.put(node.toString(), count));
                RefusalView wouldRefuse = dryRun.wouldRefuse().map(refusal -> RefusalView.of(withNodeNames(refusal, metadata.nodes().current())))
                        .orElse(null);
                yield ApiResponse.ok(new DryRunView(true, view(dryRun.node(), snapshot()), dryRun.target(), dryRun.wouldRefuse().isEmpty(),
                        wouldRefuse, dryRun.plan().moves().stream().map(WireViews::move).toList(),
                        dryRun.plan().leadershipChanges().stream().map(WireViews::leadershipChange).toList(),
                        dryRun.plan().violations().stream().map(WireViews::explanation).toList(), perWorker, dryRun.warnings()));
            }
        };
    }

    /**
     * Begins or extends a worker's maintenance ({@link MaintenanceRequest} says what the body holds); a dry-run
     * says whether it would begin and which leaderships would leave, and writes nothing.
     */
    public ApiResponse beginMaintenance(String reference, byte[] body, Caller caller) {
        if (body.length > MAX_BODY_BYTES) {
            return ApiResponse.error(413, "payload-too-large", "the request body is " + body.length + " bytes; the limit is " + MAX_BODY_BYTES);
        }
        MaintenanceRequest request;
        try {
            request = MaintenanceRequest.parse(body);
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        if (request.force() && !request.dryRun() && !caller.may(Scope.ADMIN)) {
            return HttpAccess.forbidden(caller, Scope.ADMIN, "force a maintenance");
        }
        return maintenanceAnswer(maintenance.begin(reference, request.reason(), request.duration(), request.force(), request.dryRun(),
                caller.credential()));
    }

    /** Ends a worker's maintenance; a worker in none is a no-op success ({@code changed: false}). */
    public ApiResponse endMaintenance(String reference) {
        return maintenanceAnswer(maintenance.end(reference));
    }

    /**
     * Cordons a worker: it receives no new replica or leadership and keeps what it holds. The body is optional:
     * {@code {"reason": "…"}}. A cordoned worker is a success with {@code changed: false}, its first cordon kept.
     */
    public ApiResponse cordon(String reference, byte[] body, Caller caller) {
        if (body.length > MAX_BODY_BYTES) {
            return ApiResponse.error(413, "payload-too-large", "the request body is " + body.length + " bytes; the limit is " + MAX_BODY_BYTES);
        }
        String reason;
        try {
            reason = optionalReason(body);
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        return cordonAnswer(cordons.cordon(reference, reason, caller.credential()));
    }

    /** Lifts a worker's cordon; a worker without one is a success with {@code changed: false}. */
    public ApiResponse uncordon(String reference, Caller caller) {
        return cordonAnswer(cordons.uncordon(reference, caller.credential()));
    }

    /**
     * Replaces a worker by another: {@code {"replacement": "worker-5", "reason": "…", "dryRun": false}}, only
     * {@code replacement} required. Every replica of the worker moves to the replacement and nothing else moves; the
     * answer carries the plan and its ETA under the throttles in force. A dry-run writes nothing; a refusal (409) says
     * why and writes nothing. Progress is the drain's ({@code GET …/drain}, with {@code replacedBy}).
     */
    public ApiResponse replace(String reference, byte[] body, Caller caller) {
        return replace(reference, body, caller, Optional.empty());
    }

    /**
     * @param authorization the caller's {@code Authorization} header, to ask the replaced worker how much data its replicas
     *     hold (the ETA under the catch-up transfer limit); without it their sizes are unknown
     */
    public ApiResponse replace(String reference, byte[] body, Caller caller, Optional<String> authorization) {
        if (body.length > MAX_BODY_BYTES) {
            return ApiResponse.error(413, "payload-too-large", "the request body is " + body.length + " bytes; the limit is " + MAX_BODY_BYTES);
        }
        String replacement;
        String reason;
        boolean dryRun;
        try {
            ObjectNode object = RequestBodies.object(body, REPLACE_REQUEST_FIELDS, "{\"replacement\": \"worker-5\", \"reason\": \"disk failing\"}");
            JsonNode by = object.get("replacement");
            if (by == null || by.isNull() || !by.isTextual() || by.textValue().isBlank()) {
                throw new IllegalArgumentException("field 'replacement' is required: the node (name or id) that receives the replicas");
            }
            replacement = by.textValue();
            reason = RequestBodies.reason(object);
            dryRun = RequestBodies.flag(object, "dryRun");
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        NodesConfiguration nodes = metadata.nodes().current();
        return switch (replaces.request(reference, replacement, reason, dryRun, caller.credential())) {
            case ReplaceRequests.Outcome.Unresolved unresolved -> unresolved.which().equals("old") ? unresolved(unresolved.resolution(), WorkerState.DRAINING)
                    : switch (unresolved.resolution()) {
                        // The replacement is named in the body: a reference that names no node is a bad request, not a missing route target.
                        case NodeResolution.Found found -> throw new IllegalStateException("BUG: found is not unresolved");
                        case NodeResolution.Stale stale -> unresolved(stale, null);
                        case NodeResolution.Malformed malformed -> ApiResponse.error(400, "bad-request", "field 'replacement': " + malformed.message());
                        case NodeResolution.Unknown unknown -> ApiResponse.error(400, "bad-request", "field 'replacement': " + unknown.message());
                    };
            case ReplaceRequests.Outcome.Refused refused -> new ApiResponse(409, RefusalView.of(withNodeNames(refused.refusal(), nodes)));
            case ReplaceRequests.Outcome.Started started -> ApiResponse.ok(replaceView(false, started.changed(), started.old(), started.replacement(), null,
                    started.plan(), authorization));
            case ReplaceRequests.Outcome.DryRun run -> ApiResponse.ok(replaceView(true, false, run.old(), run.replacement(),
                    run.wouldRefuse().map(refusal -> RefusalView.of(withNodeNames(refusal, nodes))).orElse(null), run.plan(), authorization));
        };
    }

    private ReplaceView replaceView(boolean dryRun, boolean changed, NodeConfig old, NodeConfig by, RefusalView refusal, ReplaceRequests.Plan plan,
            Optional<String> authorization) {
        TransferEstimate transfer = transferEstimate(plan.etaSeconds(), plan.report().moves(), List.of(old), authorization);
        Snapshot snapshot = snapshot();
        NodeConfig oldNow = snapshot.nodes().find(old.nodeId()).orElse(old);
        NodeConfig byNow = snapshot.nodes().find(by.nodeId()).orElse(by);
        return new ReplaceView(dryRun, changed, view(oldNow, snapshot), view(byNow, snapshot), refusal == null, refusal,
                plan.report().moves().stream().map(WireViews::move).toList(),
                plan.report().leadershipChanges().stream().map(WireViews::leadershipChange).toList(),
                plan.report().violations().stream().map(WireViews::explanation).toList(),
                plan.maxChangesPerNode(), plan.maxChangesInCluster(), plan.waves(), transfer.etaSeconds(), transferView(transfer));
    }

    /** The catch-up transfer limit a plan's receiving workers use: the stored one, else this node's flag (the best guess for theirs). */
    long transferRate() {
        return settings.effective().transferRate(local.transferRateFlag());
    }

    /** A plan's ETA counting the data {@code leaving}'s replicas hold, as they report it, under the transfer limit. */
    TransferEstimate transferEstimate(long wavesSeconds, List<dev.sluice.scheduler.Move> moves, List<NodeConfig> leaving, Optional<String> authorization) {
        long rate = transferRate();
        Map<PartitionId, Long> sizes = moves.isEmpty() ? Map.of() : replicaProbe.stateBytes(leaving, authorization);
        return TransferEstimate.of(wavesSeconds, moves, sizes, rate);
    }

    static TransferView transferView(TransferEstimate estimate) {
        return new TransferView(estimate.bytes(), estimate.busiestReceiverBytes(), estimate.bytesPerSecond(), estimate.unknownSizes());
    }

    /**
     * Cancels a replace: the replaced worker goes back to active (the drain's cancel), what already moved to the
     * receiving worker stays there. A worker that is not being replaced is refused (409) and nothing changes.
     */
    public ApiResponse cancelReplace(String reference, Caller caller) {
        NodesConfiguration nodes = metadata.nodes().current();
        NodeResolution resolution = nodes.resolve(reference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return unresolved(resolution, WorkerState.ACTIVE);
        }
        NodeConfig node = found.node();
        if (node.replacement() == null) {
            return new ApiResponse(409, RefusalView.of(new Refusal(RefusalKind.GUARD_FAILED, NodeResolution.label(node)
                    + " is not being replaced (it is " + (node.isWorker() ? node.workerState() : "no worker") + "); nothing was changed", node.nodeId(),
                    node.isWorker() ? node.workerState() : null, WorkerState.ACTIVE, List.of(), List.of(), List.of())));
        }
        return switch (lifecycle.request(node.id().toString(), WorkerState.ACTIVE, "replace by " + nodes.label(node.replacement().by()) + " cancelled",
                false, false, caller.credential())) {
            case Lifecycle.Outcome.Unresolved unresolved -> unresolved(unresolved.resolution(), WorkerState.ACTIVE);
            case Lifecycle.Outcome.Refused refused -> new ApiResponse(409, RefusalView.of(withNodeNames(refused.refusal(), metadata.nodes().current())));
            case Lifecycle.Outcome.Done done -> ApiResponse.ok(new StateChanged(view(done.node(), snapshot()), done.changed(), done.warnings()));
            case Lifecycle.Outcome.DryRun dryRun -> throw new IllegalStateException("BUG: a cancel is no dry-run");
        };
    }

    // ------------------------------------------------------------------ settings

    /** The controller's runtime throttles, and those its leader last planned with. */
    public ApiResponse settings() {
        return ApiResponse.ok(settingsView(settings.effective()));
    }

    /**
     * Changes the runtime throttles: {@code {"maxChangesPerNode": 2, "maxChangesInCluster": 8, "maxTransferBytesPerSecond": 33554432}},
     * any of them ({@code 0} bytes per second: no transfer limit).
     * A value out of range, an unknown field or an empty body is a 400 and changes nothing; the change is stored for
     * every node and the next controller, with a {@code settings-changed} event naming who changed what from what.
     */
    public ApiResponse changeSettings(byte[] body, Caller caller) {
        if (body.length > MAX_BODY_BYTES) {
            return ApiResponse.error(413, "payload-too-large", "the request body is " + body.length + " bytes; the limit is " + MAX_BODY_BYTES);
        }
        Integer perNode;
        Integer inCluster;
        Long transferRate;
        try {
            ObjectNode object = RequestBodies.object(body, SETTINGS_REQUEST_FIELDS, "{\"maxChangesPerNode\": 2, \"maxChangesInCluster\": 8}");
            perNode = wholeNumber(object, "maxChangesPerNode");
            inCluster = wholeNumber(object, "maxChangesInCluster");
            transferRate = wholeLong(object, "maxTransferBytesPerSecond");
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        return switch (settings.change(perNode, inCluster, transferRate, caller.credential())) {
            case SettingsRequests.Outcome.Invalid invalid -> ApiResponse.error(400, "bad-request", invalid.message());
            case SettingsRequests.Outcome.Conflict conflict -> ApiResponse.error(409, "conflict", conflict.message());
            case SettingsRequests.Outcome.Done done -> ApiResponse.ok(new SettingsView.Changed(settingsView(done.before()), settingsView(done.after()),
                    done.changed()));
        };
    }

    private static Integer wholeNumber(ObjectNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new IllegalArgumentException("field '" + field + "' must be a whole number, got " + value + "; nothing was changed");
        }
        return value.intValue();
    }

    private static Long wholeLong(ObjectNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
            throw new IllegalArgumentException("field '" + field + "' must be a whole number of bytes per second (0 for no limit), got " + value
                    + "; nothing was changed");
        }
        return value.longValue();
    }

    private SettingsView settingsView(Throttles throttles) {
        SettingsView.InUse inUse = controller.status().filter(status -> status.throttles() != null)
                .map(status -> new SettingsView.InUse(status.throttles().maxChangesPerNode(), status.throttles().maxChangesInCluster(), status.updatedAt()))
                .orElse(null);
        return new SettingsView(throttles.maxChangesPerNode(), throttles.maxChangesInCluster(), throttles.stored() ? "stored" : "flags",
                throttles.changedAt(), throttles.changedBy() == null ? null : throttles.changedBy().toString(),
                throttles.credential() == null ? null : throttles.credential().toString(), inUse, throttles.transferRate(local.transferRateFlag()),
                throttles.maxTransferBytesPerSecond() == null ? "node-flag" : "stored");
    }

    private ApiResponse cordonAnswer(CordonRequests.Outcome outcome) {
        return switch (outcome) {
            case CordonRequests.Outcome.Unresolved unresolved -> unresolved(unresolved.resolution(), null);
            case CordonRequests.Outcome.Refused refused -> new ApiResponse(409, RefusalView.of(withNodeNames(refused.refusal(), metadata.nodes().current())));
            case CordonRequests.Outcome.Done done -> ApiResponse.ok(new StateChanged(view(done.node(), snapshot()), done.changed(), List.of()));
        };
    }

    /**
     * Removes a node from the nodes configuration for good (the {@code admin} scope, which {@link HttpAccess} checks):
     * only a disabled node whose process is stopped and that no placement names; refused otherwise (409) with the
     * reason, and nothing changes. {@code reason}, from the query, is optional and goes into the event.
     */
    public ApiResponse remove(String reference, String reason, Caller caller) {
        String checked;
        try {
            checked = RequestBodies.reason(reason == null ? "" : reason, "query parameter 'reason'");
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        return switch (removal.remove(reference, checked, caller.credential())) {
            case NodeRemoval.Outcome.Unresolved unresolved -> unresolved(unresolved.resolution(), null);
            case NodeRemoval.Outcome.Refused refused -> new ApiResponse(409, RefusalView.of(withNodeNames(refused.refusal(), metadata.nodes().current())));
            case NodeRemoval.Outcome.Removed removed -> ApiResponse.ok(new NodeRemovedView(removed.tombstone().id().toString(), removed.tombstone().name(),
                    removed.tombstone().lastGeneration(), removed.tombstone().removedAt()));
        };
    }

    private ApiResponse maintenanceAnswer(MaintenanceRequests.Outcome outcome) {
        NodesConfiguration nodes = metadata.nodes().current();
        return switch (outcome) {
            case MaintenanceRequests.Outcome.Unresolved unresolved -> unresolved(unresolved.resolution(), null);
            case MaintenanceRequests.Outcome.Refused refused -> new ApiResponse(409, RefusalView.of(withNodeNames(refused.refusal(), nodes)));
            case MaintenanceRequests.Outcome.Done done -> ApiResponse.ok(new StateChanged(view(done.node(), snapshot()), done.changed(), done.warnings()));
            case MaintenanceRequests.Outcome.DryRun dryRun -> ApiResponse.ok(new MaintenanceDryRunView(true, view(dryRun.node(), snapshot()),
                    dryRun.wouldRefuse().isEmpty(), dryRun.wouldRefuse().map(refusal -> RefusalView.of(withNodeNames(refusal, nodes))).orElse(null),
                    dryRun.leaderships().stream().map(WireViews::leadershipChange).toList(), dryRun.warnings()));
        };
    }

    /** A validated state-change request. */
    record StateRequest(WorkerState state, String reason, boolean force, boolean dryRun) {

        static StateRequest parse(byte[] body) {
            ObjectNode object = RequestBodies.object(body, STATE_REQUEST_FIELDS, "{\"state\": \"draining\", \"reason\": \"…\"}");
            JsonNode state = object.get("state");
            if (state == null || state.isNull()) {
                throw new IllegalArgumentException("field 'state' is required (one of provisioning, active, draining, disabled)");
            }
            if (!state.isTextual()) {
                throw new IllegalArgumentException("field 'state' must be a string (one of provisioning, active, draining, disabled)");
            }
            WorkerState target = WorkerState.parse(state.textValue());
            return new StateRequest(target, RequestBodies.reason(object), RequestBodies.flag(object, "force"), RequestBodies.flag(object, "dryRun"));
        }
    }

    /**
     * A validated request to begin or extend a maintenance: {@code {"durationSeconds": 1800, "reason": "…",
     * "force": false, "dryRun": false}}, every field optional; an hour when no duration is given.
     */
    record MaintenanceRequest(Duration duration, String reason, boolean force, boolean dryRun) {

        static final Duration DEFAULT_DURATION = Duration.ofHours(1);

        static MaintenanceRequest parse(byte[] body) {
            if (body.length == 0) {
                return new MaintenanceRequest(DEFAULT_DURATION, "", false, false);
            }
            ObjectNode object = RequestBodies.object(body, MAINTENANCE_REQUEST_FIELDS, "{\"durationSeconds\": 1800, \"reason\": \"kernel patch\"}");
            Duration duration = DEFAULT_DURATION;
            JsonNode seconds = object.get("durationSeconds");
            if (seconds != null && !seconds.isNull()) {
                if (!seconds.canConvertToLong() || !seconds.isIntegralNumber() || seconds.longValue() < 1
                        || seconds.longValue() > Maintenance.MAX_DURATION.toSeconds()) {
                    throw new IllegalArgumentException("field 'durationSeconds' must be a whole number of seconds between 1 and "
                            + Maintenance.MAX_DURATION.toSeconds() + " (7 days), got " + seconds);
                }
                duration = Duration.ofSeconds(seconds.longValue());
            }
            return new MaintenanceRequest(duration, RequestBodies.reason(object), RequestBodies.flag(object, "force"), RequestBodies.flag(object, "dryRun"));
        }
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * The header on a shutdown request one node forwards to another, naming the forwarding node: the receiver
     * answers for itself or refuses, and never forwards the request again.
     */
    public static final String FORWARDED_BY_HEADER = "X-Sluice-Forwarded-By";

    /**
     * Asks a node to shut down gracefully (it reports not ready, hands its leaderships to other members within its
     * shutdown timeout, closes, and its process exits with status 0 for a supervisor to start again). This node
     * begins its own shutdown and answers {@code 202}; a request naming another node is forwarded to that node's
     * HTTP address and its answer relayed. Refused, changing nothing: a reference that names no current node (400,
     * 404, 409 stale-generation, as on every node route), a node that is not running (409 {@code not-running}), a node
     * that does not answer (503), and a forwarded request that reached a node other than the one it names (503).
     *
     * @param authorization the caller's {@code Authorization} header, passed on when forwarding
     * @param forwardedBy the node that forwarded this request ({@link #FORWARDED_BY_HEADER}), if one did
     */
    public ApiResponse shutdown(String reference, Optional<String> authorization, Optional<String> forwardedBy) {
        NodesConfiguration nodes = metadata.nodes().current();
        NodeResolution resolution = nodes.resolve(reference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return unresolved(resolution, null);
        }
        NodeConfig node = found.node();
        String label = NodeResolution.label(node);
        Optional<GenerationalNodeId> self = local.self();
        if (self.isPresent() && self.get().id().equals(node.nodeId())) {
            if (!self.get().equals(node.id())) {
                // A newer process of this name registered: this one is on its way out and is not the node asked for.
                return new ApiResponse(409, RefusalView.of(new Refusal(RefusalKind.STALE_GENERATION, label + " is incarnation " + node.id()
                        + "; this process is " + self.get() + ", superseded by it. Nothing was changed", node.nodeId(), node.workerState(), null,
                        List.of(), List.of(), List.of())));
            }
            LocalNode.ShutdownBegun begun = local.shutDown(forwardedBy.map(by -> "asked through the admin API at " + by)
                    .orElse("asked through the admin API"));
            return new ApiResponse(202, new ShutdownView(node.id().toString(), label, begun.started(), begun.shutdown(), begun.leaderships(),
                    shutdownMessage(label, begun)));
        }
        String here = self.map(id -> nodes.label(id.id())).orElse("this node");
        if (forwardedBy.isPresent()) {
            return ApiResponse.error(503, "unavailable", forwardedBy.get() + " forwarded the shutdown of " + label + " to " + here
                    + ", which is another node: the nodes configuration may be changing. Nothing was changed; ask again");
        }
        if (metadata.liveness().read(node.nodeId()).isEmpty()) {
            return ApiResponse.error(409, "not-running", label + " is not running (it has no liveness entry): there is nothing to shut down");
        }
        return forwarding.forward(node, label, authorization, here);
    }

    /** What a shutdown that began does, in one paragraph, for the answer and the CLI. */
    static String shutdownMessage(String label, LocalNode.ShutdownBegun begun) {
        ShutdownStatus shutdown = begun.shutdown();
        Duration bound = Duration.between(shutdown.since(), shutdown.deadline());
        String handover = begun.leaderships() == 0 ? "it leads no partition, so it hands nothing over"
                : "it hands its " + begun.leaderships() + (begun.leaderships() == 1 ? " leadership" : " leaderships")
                        + " to other members within " + Durations.human(bound) + " (until " + shutdown.deadline().truncatedTo(ChronoUnit.SECONDS) + ")";
        return (begun.started() ? label + " is shutting down: it reports not ready from now on, "
                : label + " was already shutting down (" + shutdown.cause() + ", since " + shutdown.since().truncatedTo(ChronoUnit.SECONDS) + "); ")
                + handover + ", then closes its groups and exits with status 0, for its supervisor (systemd, Kubernetes, sluice local) to start it"
                + " again";
    }

    // ------------------------------------------------------------------ partitions

    /**
     * Every partition, or with {@code limit} (a count, 1 or more) the first that many by id, read alone: the dashboard's
     * map shows at most a few hundred, and at a million partitions reading every placement took each of its polls.
     */
    public ApiResponse partitions(String limit) {
        Optional<ControllerStatus> status = controller.status();
        Map<PartitionId, VersionedPlacement> placements;
        if (limit == null || limit.isBlank()) {
            placements = metadata.placements().readAll();
        } else {
            int count;
            try {
                count = Integer.parseInt(limit.trim());
            } catch (NumberFormatException malformed) {
                count = 0;
            }
            if (count < 1) {
                return ApiResponse.error(400, "bad-request", "'limit' must be a count of partitions, 1 or more, got " + limit);
            }
            int partitions = metadata.partitionTable().read().map(PartitionTable::partitionCount).orElse(0);
            List<PartitionId> first = new ArrayList<>();
            for (int p = 0; p < Math.min(count, partitions); p++) {
                first.add(PartitionId.of(p));
            }
            placements = metadata.placements().readSome(first);
        }
        List<PartitionView> views = new ArrayList<>();
        for (VersionedPlacement versioned : placements.values()) {
            views.add(view(versioned.placement(), status));
        }
        return ApiResponse.ok(views);
    }

    /**
     * One partition, with each member as its worker reports it.
     *
     * @param authorization the caller's {@code Authorization} header, which asking the members' status needs when the
     *     cluster checks credentials: the caller reads the members with its own right to read, nothing more
     */
    public ApiResponse partition(String reference, Optional<String> authorization) {
        PartitionId partition;
        try {
            partition = PartitionId.parse(reference);
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        Optional<PartitionTable> table = metadata.partitionTable().read();
        if (table.isEmpty() || !table.get().contains(partition)) {
            return ApiResponse.error(404, "not-found", "unknown partition " + partition
                    + table.map(t -> " (the cluster has P0 to P" + (t.partitionCount() - 1) + ")").orElse(" (the cluster has no partitions yet)"));
        }
        return metadata.placements().read(partition)
                .map(versioned -> ApiResponse.ok(shown(versioned.placement(), authorization)))
                .orElseGet(() -> ApiResponse.error(404, "not-found", partition + " has not been placed yet"));
    }

    /**
     * Freezes ({@code frozen}) or unfreezes a partition's replica set. The body of a freeze is optional: {@code
     * {"reason": "…"}}; an unfreeze has none.
     */
    public ApiResponse freeze(String reference, boolean frozen, byte[] body, Caller caller) {
        if (body.length > MAX_BODY_BYTES) {
            return ApiResponse.error(413, "payload-too-large", "the request body is " + body.length + " bytes; the limit is " + MAX_BODY_BYTES);
        }
        String reason;
        try {
            reason = optionalReason(body);
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        return policyAnswer(policies.freeze(reference, frozen, reason, caller.credential()));
    }

    /** Pins a partition's leader: the body is {@code {"node": "worker-2", "reason": "…"}}, {@code node} required. */
    public ApiResponse pinLeader(String reference, byte[] body, Caller caller) {
        if (body.length > MAX_BODY_BYTES) {
            return ApiResponse.error(413, "payload-too-large", "the request body is " + body.length + " bytes; the limit is " + MAX_BODY_BYTES);
        }
        String node;
        String reason;
        try {
            ObjectNode object = RequestBodies.object(body, PIN_REQUEST_FIELDS, "{\"node\": \"worker-2\", \"reason\": \"closest to the clients\"}");
            JsonNode named = object.get("node");
            if (named == null || named.isNull() || !named.isTextual() || named.textValue().isBlank()) {
                throw new IllegalArgumentException("field 'node' is required: the node to lead, by name (worker-2) or id (N2)");
            }
            node = named.textValue();
            reason = RequestBodies.reason(object);
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        return policyAnswer(policies.pinLeader(reference, node, reason, caller.credential()));
    }

    /** Lifts a partition's leader pin; a partition without one is a success with {@code changed: false}. */
    public ApiResponse unpinLeader(String reference, Caller caller) {
        return policyAnswer(policies.unpinLeader(reference, "", caller.credential()));
    }

    private static String optionalReason(byte[] body) {
        return body.length == 0 ? "" : RequestBodies.reason(RequestBodies.object(body, REASON_ONLY_FIELDS, "{\"reason\": \"disk filling up\"}"));
    }

    private ApiResponse policyAnswer(PartitionPolicyRequests.Outcome outcome) {
        return switch (outcome) {
            case PartitionPolicyRequests.Outcome.Malformed malformed -> ApiResponse.error(400, "bad-request", malformed.message());
            case PartitionPolicyRequests.Outcome.Unknown unknown -> ApiResponse.error(404, "not-found", unknown.message());
            case PartitionPolicyRequests.Outcome.Unresolved unresolved -> unresolved(unresolved.resolution(), null);
            case PartitionPolicyRequests.Outcome.Refused refused -> ApiResponse.error(409, "refused", refused.message());
            case PartitionPolicyRequests.Outcome.Done done -> ApiResponse.ok(new PolicyChanged(view(done.placement(), controller.status()), done.changed()));
        };
    }

    /** How many of a partition's newest events its answer carries, found among the cluster's newest {@link EventLog#MAX_READ}. */
    static final int PARTITION_HISTORY = 10;

    /** One partition as {@code partitions show} wants it: its view, each member as its worker reports it, its newest events. */
    private PartitionView shown(Placement placement, Optional<String> authorization) {
        NodesConfiguration nodes = metadata.nodes().current();
        List<EventView> history = metadata.events().latest(EventLog.MAX_READ).stream()
                .filter(event -> placement.partition().equals(event.event().partition()))
                .map(event -> eventView(event, nodes)).toList();
        history = history.subList(Math.max(0, history.size() - PARTITION_HISTORY), history.size());
        return view(placement, controller.status()).withDetail(replicaProbe.members(placement.partition(), placement.members(), nodes, authorization), history);
    }

    // ------------------------------------------------------------------ events

    /**
     * Events after sequence {@code since} (all kept events when absent), oldest first, at most
     * {@code limit}.
     */
    public ApiResponse events(String since, String limit) {
        long after;
        int count;
        try {
            after = since == null || since.isBlank() ? -1 : Long.parseLong(since.trim());
            count = limit == null || limit.isBlank() ? DEFAULT_EVENTS : Integer.parseInt(limit.trim());
        } catch (NumberFormatException malformed) {
            return ApiResponse.error(400, "bad-request", "'since' must be an event sequence number and 'limit' a count, got since="
                    + since + " limit=" + limit);
        }
        if (after < -1 || count < 1 || count > MAX_EVENTS) {
            return ApiResponse.error(400, "bad-request", "'since' must be -1 or more and 'limit' between 1 and " + MAX_EVENTS);
        }
        List<EventLog.LoggedEvent> logged = since == null || since.isBlank() ? metadata.events().latest(count) : metadata.events().read(after, count);
        NodesConfiguration nodes = metadata.nodes().current();
        List<EventView> views = new ArrayList<>();
        long last = after;
        for (EventLog.LoggedEvent event : logged) {
            views.add(eventView(event, nodes));
            last = Math.max(last, event.sequence());
        }
        return ApiResponse.ok(new EventsPage(views, last));
    }

    private static EventView eventView(EventLog.LoggedEvent event, NodesConfiguration nodes) {
        AuditRecord record = event.event().transition();
        TransitionView transition = record == null ? null : new TransitionView(record.node().toString(), record.nodeName(), record.from(),
                record.to(), record.actor(), record.forced(), record.reason(), record.version().value(), record.requestId(),
                record.credential() == null ? null : record.credential().value());
        // The log's time, not the writer's: it grows with the sequence, so the events read in one order.
        return new EventView(event.sequence(), event.loggedAt(), event.event().kind(), event.event().node() == null ? null : event.event().node().toString(),
                event.event().partition() == null ? null : event.event().partition().toString(), withNodeNames(event.event().message(), nodes),
                event.event().numbers(), transition);
    }

    /** A plain id not already followed by its name or generation: {@code N4} in {@code P3 moved [N1] → [N4]}. */
    private static final Pattern BARE_NODE_ID = Pattern.compile("(?<![A-Za-z0-9_:-])N([1-9][0-9]{0,8})(?![A-Za-z0-9_:])");

    /**
     * {@code message} with every bare node id labelled {@code N4 (worker-3)}. Events and refusals are worded
     * by the model and the controller, some of which (a placement change) know only ids; labelling them here,
     * as they are served, works for events already in the log too, and is exact because ids are never reused.
     */
    static String withNodeNames(String message, NodesConfiguration nodes) {
        Matcher id = BARE_NODE_ID.matcher(message);
        StringBuilder labelled = new StringBuilder();
        while (id.find()) {
            NodeId node = NodeId.of(Integer.parseInt(id.group(1)));
            String label = nodes.label(node);
            // Already labelled where it was worded; an id followed by another parenthesis, such as a
            // leadership move's "(balance)", is still bare.
            boolean labelledAlready = message.startsWith(label.substring(node.toString().length()), id.end());
            id.appendReplacement(labelled, Matcher.quoteReplacement(labelledAlready ? node.toString() : label));
        }
        id.appendTail(labelled);
        return labelled.toString();
    }

    /** {@code refusal} with the nodes its sentences mention named, as {@link #withNodeNames(String, NodesConfiguration)} does for events. */
    static Refusal withNodeNames(Refusal refusal, NodesConfiguration nodes) {
        List<BlockingPartition> blocking = refusal.blocking().stream()
                .map(b -> new BlockingPartition(b.partition(), b.reason(), withNodeNames(b.message(), nodes))).toList();
        return new Refusal(refusal.kind(), withNodeNames(refusal.message(), nodes), refusal.node(), refusal.current(), refusal.requested(),
                refusal.allowedNext(), refusal.allowedWithForce(), blocking);
    }

    // ------------------------------------------------------------------ cluster

    public ApiResponse cluster() {
        Snapshot snapshot = snapshot();
        Optional<PartitionTable> table = metadata.partitionTable().read();
        Map<WorkerState, Integer> byState = new EnumMap<>(WorkerState.class);
        for (WorkerState state : WorkerState.values()) {
            byState.put(state, 0);
        }
        snapshot.nodes().workers().forEach(node -> byState.merge(node.workerState(), 1, Integer::sum));
        int alive = (int) snapshot.nodes().nodes().stream().filter(n -> snapshot.alive().contains(n.nodeId())).count();
        int moving = snapshot.status().filter(status -> !status.workers().isEmpty()).map(ControllerStatus::movesInFlight)
                .orElseGet(() -> (int) snapshot.placements().values().stream().filter(v -> v.placement().hasNext()).count());
        return ApiResponse.ok(new ClusterView(clusterName,
                table.map(PartitionTable::partitionCount).orElse(0),
                table.map(t -> t.replication().replicas()).orElse(0),
                table.map(t -> t.replication().minZones()).orElse(0),
                snapshot.status().map(WireViews::controller).orElse(null),
                snapshot.status().map(ControllerStatus::clients).orElse(null),
                byState, snapshot.nodes().nodes().size(), alive, moving,
                snapshot.status().map(ControllerStatus::drains).orElse(List.of()).stream().map(drain -> drainView(drain, snapshot.nodes())).toList(),
                snapshot.status().map(ControllerStatus::drainsLeftOut).orElse(0)));
    }

    // ------------------------------------------------------------------ helpers

    /**
     * One consistent-enough read of everything the views need. The placements are read when first asked for: the node
     * and cluster views count from the controller's status and need them only when no controller published one, and at a
     * million partitions reading them all took the dashboard's every poll of the nodes.
     */
    private record Snapshot(NodesConfiguration nodes, Set<NodeId> alive, PlacementsOnDemand onDemand, Optional<ControllerStatus> status) {

        Map<PartitionId, VersionedPlacement> placements() {
            return onDemand.get();
        }
    }

    /** Every placement, read from the store when first asked for, once. */
    private static final class PlacementsOnDemand {
        private final ClusterMetadata metadata;
        private Map<PartitionId, VersionedPlacement> read;

        PlacementsOnDemand(ClusterMetadata metadata) {
            this.metadata = metadata;
        }

        Map<PartitionId, VersionedPlacement> get() {
            if (read == null) {
                read = metadata.placements().readAll();
            }
            return read;
        }
    }

    private Snapshot snapshot() {
        return new Snapshot(metadata.nodes().current(), metadata.liveness().readAll().keySet(), new PlacementsOnDemand(metadata), controller.status());
    }

    private NodeView view(NodeConfig node, Snapshot snapshot) {
        return view(node, snapshot, drainOf(node.nodeId(), snapshot).orElse(null));
    }

    /** {@code node} as the API serves it, with its drain ({@code null} if none) read by the caller. */
    private NodeView view(NodeConfig node, Snapshot snapshot, dev.sluice.controller.DrainProgress published) {
        NodeId id = node.nodeId();
        int replicas = 0;
        int leaderships = 0;
        Optional<ControllerStatus.WorkerCounts> counted = snapshot.status().flatMap(status -> status.counts(id));
        if (counted.isPresent()) {
            // The controller counted these in the pass that made the drain's numbers: one source, so a node's
            // card and its drain never disagree, and "leads" means what the drain means by it.
            replicas = counted.get().replicas();
            leaderships = counted.get().leaderships();
        } else {
            for (VersionedPlacement versioned : snapshot.placements().values()) {
                Placement placement = versioned.placement();
                if (placement.names(id)) {
                    replicas++;
                }
                if (id.equals(placement.leader())) {
                    leaderships++;
                }
            }
        }
        DrainView drain = published == null ? null : drainView(published, snapshot.nodes());
        return new NodeView(id.toString(), node.id().toString(), node.name(), node.workerState(), node.workerState().description(),
                node.roles().stream().sorted().toList(), node.location().toString(), node.addresses().raft(), node.addresses().http().toString(),
                snapshot.alive().contains(id), replicas, leaderships,
                new StateChangeView(node.lastStateChange().at(), node.lastStateChange().actor().wireName(), node.lastStateChange().reason(),
                        node.lastStateChange().version().value(),
                        node.lastStateChange().credential() == null ? null : node.lastStateChange().credential().value()),
                drain, node.maintenance() == null ? null : MaintenanceView.of(node.maintenance(), clock.instant()),
                node.cordon() == null ? null : CordonView.of(node.cordon()));
    }

    private static PartitionView view(Placement placement, Optional<ControllerStatus> status) {
        Optional<ControllerStatus.MoveInFlight> move = status.flatMap(s -> s.moves().stream()
                .filter(m -> m.partition().equals(placement.partition())).findFirst());
        return new PartitionView(placement.partition().toString(), ids(placement.current()), ids(placement.next()),
                placement.leader() == null ? null : placement.leader().toString(), ids(placement.joining()), ids(placement.leaving()),
                placement.hasNext(), move.map(ControllerStatus.MoveInFlight::stepKind).map(MoveStep.Kind::wireName).orElse(null),
                move.map(ControllerStatus.MoveInFlight::step).orElse(null),
                move.map(ControllerStatus.MoveInFlight::lastError).orElse(null), placement.changeStartedAt(), placement.policy(), null, null);
    }

    /** A drain as the API serves it: its sentences name the nodes they mention, as events do. */
    private static DrainView drainView(dev.sluice.controller.DrainProgress drain, NodesConfiguration nodes) {
        return WireViews.drain(drain, text -> withNodeNames(text, nodes));
    }

    private static List<String> ids(List<NodeId> nodes) {
        return nodes.stream().map(NodeId::toString).toList();
    }

    /**
     * The answer to a node reference that names no current node, the same on every route: 400 when it
     * cannot name a node (a bare number, an ambiguous name), 404 when no node answers to it, and 409 with a
     * {@code stale-generation} refusal when it names an incarnation that is not the node's current one —
     * the same refusal a transition gets when the node registers again before it is written.
     */
    static ApiResponse unresolved(NodeResolution resolution, WorkerState requested) {
        return switch (resolution) {
            case NodeResolution.Malformed malformed -> ApiResponse.error(400, "bad-request", malformed.message());
            case NodeResolution.Unknown unknown -> ApiResponse.error(404, "not-found", unknown.message());
            case NodeResolution.Stale stale -> new ApiResponse(409, RefusalView.of(new Refusal(RefusalKind.STALE_GENERATION, stale.message(),
                    stale.node().nodeId(), stale.node().workerState(), requested, List.of(), List.of(), List.of())));
            case NodeResolution.Found found -> throw new IllegalStateException("BUG: " + NodeResolution.label(found.node()) + " was found, not unresolved");
        };
    }
}
