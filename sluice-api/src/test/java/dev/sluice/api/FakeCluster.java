package dev.sluice.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.controller.DrainProgress;
import dev.sluice.controller.Rollout.Phase;
import dev.sluice.metadata.Json;
import dev.sluice.model.Actor;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.Durations;
import dev.sluice.model.EventKind;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Location;
import dev.sluice.model.Maintenance;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.Role;
import dev.sluice.model.TransitionTable;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.LeadershipChange;
import dev.sluice.scheduler.MaintenancePrecheck;
import dev.sluice.scheduler.Move;
import dev.sluice.wire.ClientImpactView;
import dev.sluice.wire.ClusterView;
import dev.sluice.wire.ControllerView;
import dev.sluice.wire.DryRunView;
import dev.sluice.wire.EventView;
import dev.sluice.wire.EventsPage;
import dev.sluice.wire.MaintenanceDryRunView;
import dev.sluice.wire.MaintenanceView;
import dev.sluice.wire.NodeView;
import dev.sluice.wire.PartitionView;
import dev.sluice.wire.RefusalView;
import dev.sluice.wire.RolloutPlanView;
import dev.sluice.wire.RolloutView;
import dev.sluice.wire.StateChangeView;
import dev.sluice.wire.StateChanged;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A scripted stand-in for a cluster behind the admin API, for the dashboard's browser tests: a Javalin
 * server on 127.0.0.1 that serves the real dashboard ({@link DashboardHttp}) and answers the API's routes
 * with the real response records (the wire records {@link AdminApi} answers with), so the JSON the page reads has the contract's shape.
 *
 * <p>Seven workers, 32 partitions × 3 replicas over N1–N5. N5 is active but dead, N6 provisioning, N7
 * disabled; N4 has a long name ({@link #LONG_NAME}). A drain requested through the API is played out one step per {@code GET /api/v1/cluster}
 * (one dashboard poll): first the worker's leaderships move, then one replica per step — each move shown
 * for one step with its joining and leaving replicas — with a stall of a few steps a third of the way, and
 * finally the worker becomes {@code disabled}. Time is simulated: every step is five seconds later.
 * {@link #holdStall(Duration)} keeps the stall until it has lasted that long and then stops the script, so the
 * page shows one state from then on. {@link #reportClients(boolean)} serves client-impact numbers
 * ({@link #CLIENTS}); before it, the cluster view has none.
 *
 * <p>Maintenance and rolling restarts are decided as the server decides them: the maintenance pre-check refuses a
 * worker whose absence, with every worker already dead or in maintenance, would leave a partition without a majority
 * (so while N5 is dead, every worker that shares a partition with it is refused; {@link #bringBack(int)} revives it),
 * and warns of a partition left in one zone. A worker in maintenance loses its leaderships on the next step. A rolling
 * restart is played out one step at a time too, each phase lasting {@link #PHASE} — maintenance, leaderships away,
 * shutting down (the worker turns dead), restarting, back with a new generation, caught up (its maintenance ends
 * {@code caught-up}) — and stops, saying why, when a worker {@link #neverReturns(int) does not come back} within the
 * node timeout. {@link #holdRollout} keeps a worker in a phase until it has lasted a given time and then stops the
 * script, as {@link #holdStall} does.
 *
 * <p>Mutating routes require {@code Authorization: Bearer }{@link #TOKEN}. Every state, maintenance and rollout
 * request is recorded for the test to inspect. {@link #metadataDown(boolean)} makes every read answer 503, as a node
 * does whose metadata store is unreachable.
 */
final class FakeCluster implements AutoCloseable {

    static final String TOKEN = "fake-token-for-tests";
    static final int PARTITIONS = 32;
    static final int REPLICAS = 3;
    private static final Instant START = Instant.parse("2025-03-04T09:30:00Z");
    private static final Duration STEP = Duration.ofSeconds(5);
    private static final int STALL_STEPS = 5;
    /** The longest name a node may have is 63 characters; this one is long enough not to fit a card's width. */
    static final String LONG_NAME = "worker-4.rack-17.eu-west-1c.storage.example.internal";
    /**
     * The client impact served once {@link #reportClients(boolean) reported}: 240 requests/s, 0.5 failed/s (all on
     * N1), a p99 of 10 ms; N6 quiet, N7 not reporting.
     */
    static final List<ClientImpactView.NodeRates> CLIENTS = List.of(
            new ClientImpactView.NodeRates("N1", "worker-1", new ClientImpactView.Rates(61.5, 0.5, 615, 5, 5 / 615.0, 12.1)),
            new ClientImpactView.NodeRates("N2", "worker-2", new ClientImpactView.Rates(60.0, 0, 600, 0, 0.0, 4.2)),
            new ClientImpactView.NodeRates("N3", "worker-3", new ClientImpactView.Rates(58.5, 0, 585, 0, 0.0, 3.54)),
            new ClientImpactView.NodeRates("N4", LONG_NAME, new ClientImpactView.Rates(60.0, 0, 600, 0, 0.0, 4.2)),
            new ClientImpactView.NodeRates("N6", "worker-6", new ClientImpactView.Rates(0, 0, 0, 0, null, null)));
    static final ClientImpactView.Rates CLIENTS_TOTAL = new ClientImpactView.Rates(240.0, 0.5, 2_400, 5, 5 / 2_400.0, 10.0);

    /** How long each phase of a scripted rolling restart lasts: two steps. */
    static final Duration PHASE = STEP.multipliedBy(2);

    /** A state request as the fake received it. */
    record Received(String node, String authorization, AdminApi.StateRequest request) {}

    /** A maintenance request as the fake received it: {@code method} POST (begin) with its body, or DELETE (end) with none. */
    record MaintenanceReceived(String method, String node, String authorization, AdminApi.MaintenanceRequest request) {}

    /** A rolling-restart request as the fake received it: {@code method} POST (start) with its body, or DELETE (cancel) with none. */
    record RolloutReceived(String method, String authorization, RolloutApi.StartRequest request) {}

    private static final class Worker {
        final NodeId id;
        final String name;
        final Location location;
        boolean alive;
        int generation = 2;
        WorkerState state;
        StateChangeView lastChange;
        /** The latest maintenance intent, lasting or ended, or null if it never had one. */
        Maintenance maintenance;
        /** When a worker that shut down for a rolling restart comes back, or null. */
        Instant returnsAt;
        /** When it came back with a new generation; its replicas count as caught up one {@link #PHASE} later. */
        Instant backSince;

        Worker(int id, String zone, WorkerState state, boolean alive) {
            this(id, "worker-" + id, zone, state, alive);
        }

        Worker(int id, String name, String zone, WorkerState state, boolean alive) {
            this.id = NodeId.of(id);
            this.name = name;
            this.location = new Location("eu-west", zone);
            this.state = state;
            this.alive = alive;
            this.lastChange = new StateChangeView(START.minus(Duration.ofHours(1)), "node", "warm-up checks passed", 10 + id);
        }
    }

    private static final class Partition {
        final PartitionId id;
        List<NodeId> current;
        List<NodeId> next = List.of();
        NodeId leader;
        Instant changeStartedAt;

        Partition(int id, List<NodeId> current) {
            this.id = PartitionId.of(id);
            this.current = current;
            this.leader = current.getFirst();
        }
    }

    /** One worker's part in a scripted rolling restart. */
    private static final class RolloutStep {
        final NodeId node;
        final String name;
        Phase phase = Phase.WAITING;
        int generationBefore;
        Instant phaseSince;
        Instant startedAt;
        Instant doneAt;

        RolloutStep(Worker worker) {
            this.node = worker.id;
            this.name = worker.name;
        }

        void enter(Phase next, Instant at) {
            phase = next;
            phaseSince = at;
            if (next == Phase.DONE) {
                doneAt = at;
            }
        }
    }

    /** A rolling restart being played out, or the last one. */
    private static final class PlayedRollout {
        final String id;
        final String reason;
        final Instant startedAt;
        final Duration nodeTimeout;
        final List<RolloutStep> steps;
        dev.sluice.controller.Rollout.State state = dev.sluice.controller.Rollout.State.RUNNING;
        String stoppedBecause;
        Instant endedAt;
        Instant updatedAt;

        PlayedRollout(String id, String reason, Instant startedAt, Duration nodeTimeout, List<RolloutStep> steps) {
            this.id = id;
            this.reason = reason;
            this.startedAt = startedAt;
            this.nodeTimeout = nodeTimeout;
            this.steps = List.copyOf(steps);
            this.updatedAt = startedAt;
        }

        boolean running() {
            return state == dev.sluice.controller.Rollout.State.RUNNING;
        }

        Optional<RolloutStep> current() {
            return steps.stream().filter(step -> step.phase != Phase.DONE).findFirst();
        }

        long done() {
            return steps.stream().filter(step -> step.phase == Phase.DONE).count();
        }

        String maintenanceRequestId(NodeId node) {
            return "rollout-" + id + "-" + node;
        }
    }

    /** A phase the script keeps a worker in until it has lasted {@code lasting}; then the script stops. */
    private record RolloutHold(NodeId node, Phase phase, Duration lasting) {}

    /** A drain being played out. */
    private static final class Drain {
        final NodeId node;
        final Instant startedAt;
        final int replicasAtStart;
        final List<Move> moves;
        int nextMove;
        boolean leadershipsShed;
        int stallStepsLeft = STALL_STEPS;
        Instant stalledSince;
        Move inFlight;
        Instant completedAt;

        Drain(NodeId node, Instant startedAt, List<Move> moves) {
            this.node = node;
            this.startedAt = startedAt;
            this.replicasAtStart = moves.size();
            this.moves = moves;
        }
    }

    private final Map<NodeId, Worker> workers = new LinkedHashMap<>();
    private final List<Partition> partitions = new ArrayList<>();
    private final List<EventView> events = new ArrayList<>();
    private final List<Received> received = new ArrayList<>();
    private final Map<NodeId, Drain> drains = new LinkedHashMap<>();
    private final List<MaintenanceReceived> maintenanceReceived = new ArrayList<>();
    private final List<RolloutReceived> rolloutReceived = new ArrayList<>();
    private final Set<NodeId> neverReturning = new TreeSet<>();
    private PlayedRollout rollout;
    private int rollouts;
    private RolloutHold rolloutHold;
    private Instant now = START;
    private long steps;
    private boolean metadataDown;
    private Duration stallHeld;
    private boolean clientsReported;
    private int claimedPartitions = PARTITIONS;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Javalin server;

    FakeCluster() {
        add(new Worker(1, "zone-a", WorkerState.ACTIVE, true));
        add(new Worker(2, "zone-b", WorkerState.ACTIVE, true));
        add(new Worker(3, "zone-c", WorkerState.ACTIVE, true));
        add(new Worker(4, LONG_NAME, "zone-a", WorkerState.ACTIVE, true));
        add(new Worker(5, "zone-b", WorkerState.ACTIVE, false));
        add(new Worker(6, "zone-c", WorkerState.PROVISIONING, true));
        add(new Worker(7, "zone-a", WorkerState.DISABLED, true));
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new Partition(p, List.of(NodeId.of(1 + p % 5), NodeId.of(1 + (p + 1) % 5), NodeId.of(1 + (p + 2) % 5))));
        }
        event(EventKind.CONTROLLER_ELECTED, null, null, "N2 leads the controller (epoch 3)", Map.of());
        event(EventKind.NODE_TRANSITION, NodeId.of(7), null, "N7 draining → disabled by controller: drained", Map.of());
        event(EventKind.NODE_REGISTERED, NodeId.of(6), null, "N6 (worker-6) registered in eu-west.zone-c, provisioning", Map.of());
        event(EventKind.NODE_DEAD, NodeId.of(5), null, "N5 stopped answering; its replicas are replaced after the grace period", Map.of());
        server = Javalin.create(config -> {
            DashboardHttp.install(config);
            config.routes.get("/api/v1/cluster", ctx -> read(ctx, this::cluster));
            config.routes.get("/api/v1/nodes", ctx -> read(ctx, this::nodes));
            config.routes.get("/api/v1/nodes/{node}", ctx -> read(ctx, () -> node(ctx.pathParam("node"))));
            config.routes.get("/api/v1/partitions", ctx -> read(ctx, this::partitionViews));
            config.routes.get("/api/v1/events", ctx -> read(ctx, () -> events(ctx.queryParam("since"), ctx.queryParam("limit"))));
            config.routes.post("/api/v1/nodes/{node}/state", ctx -> answer(ctx, requestState(ctx)));
            config.routes.post("/api/v1/nodes/{node}/maintenance", ctx -> answer(ctx, beginMaintenance(ctx)));
            config.routes.delete("/api/v1/nodes/{node}/maintenance", ctx -> answer(ctx, endMaintenance(ctx)));
            config.routes.post("/api/v1/rollouts", ctx -> answer(ctx, startRollout(ctx)));
            config.routes.get("/api/v1/rollouts/current", ctx -> read(ctx, this::currentRollout));
            // As a node whose only credential is a token file would answer it: one credential with every scope.
            config.routes.get("/api/v1/credential", ctx -> read(ctx, () -> ApiResponse.ok(new dev.sluice.wire.CredentialView(true, "token-file",
                    List.of(dev.sluice.model.Scope.values()), List.of(dev.sluice.model.Scope.values())))));
            config.routes.delete("/api/v1/rollouts/current", ctx -> answer(ctx, cancelRollout(ctx)));
        }).start("127.0.0.1", 0);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    synchronized List<Received> received() {
        return List.copyOf(received);
    }

    synchronized List<MaintenanceReceived> maintenanceReceived() {
        return List.copyOf(maintenanceReceived);
    }

    synchronized List<RolloutReceived> rolloutReceived() {
        return List.copyOf(rolloutReceived);
    }

    /** The latest maintenance intent of {@code node}, lasting or ended, if it ever had one. */
    synchronized Optional<Maintenance> maintenanceOf(int node) {
        return Optional.ofNullable(workers.get(NodeId.of(node)).maintenance);
    }

    /** The fake's clock: five seconds later at every step. */
    synchronized Instant now() {
        return now;
    }

    /** Brings a dead worker (N5) back to life, so that the maintenance pre-check passes for the others. */
    synchronized void bringBack(int node) {
        Worker worker = workers.get(NodeId.of(node));
        worker.alive = true;
        event(EventKind.NODE_ALIVE, worker.id, null, worker.id + " answers again", Map.of());
    }

    /** Makes {@code node} stay away once a rolling restart shut it down, so that the rollout stops after its node timeout. */
    synchronized void neverReturns(int node) {
        neverReturning.add(NodeId.of(node));
    }

    /**
     * Keeps worker {@code node} of the rolling restart in {@code phase} until it has lasted {@code lasting}, then
     * stops the script (time stands still) while the rollout runs, so that the page shows one state.
     */
    synchronized void holdRollout(int node, Phase phase, Duration lasting) {
        rolloutHold = new RolloutHold(NodeId.of(node), phase, lasting);
    }

    synchronized void metadataDown(boolean down) {
        metadataDown = down;
    }

    /** Keeps a drain's stall until it has lasted {@code duration}, then stops the script: nothing moves, time stands still. */
    synchronized void holdStall(Duration duration) {
        stallHeld = duration;
    }

    /**
     * Makes the cluster view say it has {@code count} partitions, more than the fake serves: as a real cluster larger than
     * what the dashboard's map asks for answers its first partitions only.
     */
    synchronized void claimPartitions(int count) {
        claimedPartitions = count;
    }

    /** Whether the cluster view has client-impact numbers ({@link #CLIENTS}) or none yet. */
    synchronized void reportClients(boolean reported) {
        clientsReported = reported;
    }

    synchronized WorkerState state(int node) {
        return workers.get(NodeId.of(node)).state;
    }

    /** How many drain steps (cluster polls) have been played out. */
    synchronized long steps() {
        return steps;
    }

    /** Partitions {@code node} leads now. */
    synchronized int leadershipsOf(int node) {
        NodeId id = NodeId.of(node);
        return (int) partitions.stream().filter(p -> id.equals(p.leader)).count();
    }

    /** Replicas {@code node} holds now (in a current or next replica set). */
    synchronized int replicasOf(int node) {
        NodeId id = NodeId.of(node);
        return (int) partitions.stream().filter(p -> p.current.contains(id) || p.next.contains(id)).count();
    }

    /** Stops answering altogether: the dashboard then sees connection errors. */
    void stopServer() {
        // Not under the lock: stopping waits for requests in flight, which may be waiting for it.
        if (stopped.compareAndSet(false, true)) {
            server.stop();
        }
    }

    @Override
    public void close() {
        stopServer();
    }

    private void add(Worker worker) {
        workers.put(worker.id, worker);
    }

    // ------------------------------------------------------------------ HTTP

    private interface Read {
        ApiResponse get();
    }

    private void read(Context ctx, Read read) {
        ApiResponse response;
        synchronized (this) {
            response = metadataDown
                    ? ApiResponse.error(503, "unavailable", "the metadata store is not reachable: connection to 127.0.0.1:2181 lost")
                    : read.get();
        }
        answer(ctx, response);
    }

    private static void answer(Context ctx, ApiResponse response) {
        try {
            ctx.status(response.status()).contentType("application/json").result(Json.mapper().writeValueAsBytes(response.body()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("BUG: cannot write a fake response", e);
        }
    }

    // ------------------------------------------------------------------ reads

    private ApiResponse cluster() {
        step();
        Map<WorkerState, Integer> byState = new EnumMap<>(WorkerState.class);
        for (WorkerState state : WorkerState.values()) {
            byState.put(state, 0);
        }
        workers.values().forEach(w -> byState.merge(w.state, 1, Integer::sum));
        int alive = (int) workers.values().stream().filter(w -> w.alive).count();
        int moving = (int) partitions.stream().filter(p -> !p.next.isEmpty()).count();
        return ApiResponse.ok(new ClusterView("fake", claimedPartitions, REPLICAS, 2,
                new ControllerView("N2", 3, now, 100 + steps, 12),
                clientsReported ? new ClientImpactView(now, 10.0, CLIENTS_TOTAL, CLIENTS, List.of("N7")) : null,
                byState, workers.size(), alive, moving,
                drains.values().stream().map(this::progress).map(progress -> WireViews.drain(progress, UnaryOperator.identity())).toList()));
    }

    private ApiResponse nodes() {
        return ApiResponse.ok(workers.values().stream().map(this::view).toList());
    }

    private ApiResponse node(String reference) {
        return find(reference).map(w -> ApiResponse.ok(view(w))).orElseGet(() -> ApiResponse.error(404, "not-found", "unknown node '" + reference + "'"));
    }

    private Optional<Worker> find(String reference) {
        return workers.values().stream().filter(w -> w.id.toString().equals(reference) || w.name.equals(reference)).findFirst();
    }

    private NodeView view(Worker worker) {
        int replicas = (int) partitions.stream().filter(p -> p.current.contains(worker.id) || p.next.contains(worker.id)).count();
        int leaderships = (int) partitions.stream().filter(p -> worker.id.equals(p.leader)).count();
        Drain drain = drains.get(worker.id);
        return new NodeView(worker.id.toString(), new GenerationalNodeId(worker.id, worker.generation).toString(), worker.name, worker.state,
                worker.state.description(), List.of(Role.ADMIN, Role.WORKER), worker.location.toString(), "127.0.0.1:70" + worker.id.value(),
                "http://127.0.0.1:80" + worker.id.value(), worker.alive, replicas, leaderships, worker.lastChange,
                drain == null ? null : WireViews.drain(progress(drain), UnaryOperator.identity()),
                worker.maintenance == null ? null : MaintenanceView.of(worker.maintenance, now));
    }

    private ApiResponse partitionViews() {
        return ApiResponse.ok(partitions.stream().map(p -> {
            List<NodeId> joining = p.next.isEmpty() ? List.of() : p.next.stream().filter(n -> !p.current.contains(n)).toList();
            List<NodeId> leaving = p.next.isEmpty() ? List.of() : p.current.stream().filter(n -> !p.next.contains(n)).toList();
            return new PartitionView(p.id.toString(), ids(p.current), ids(p.next), p.leader == null ? null : p.leader.toString(), ids(joining),
                    ids(leaving), !p.next.isEmpty(), p.next.isEmpty() ? null : "in-flight",
                    p.next.isEmpty() ? null : "changing configuration (catching up)", null, p.changeStartedAt, PartitionPolicy.DEFAULT, null, null);
        }).toList());
    }

    private ApiResponse events(String since, String limit) {
        int count = limit == null ? AdminApi.DEFAULT_EVENTS : Integer.parseInt(limit);
        List<EventView> page;
        long last;
        if (since == null) {
            page = events.subList(Math.max(0, events.size() - count), events.size());
            last = events.isEmpty() ? -1 : events.getLast().sequence();
        } else {
            long after = Long.parseLong(since);
            page = events.stream().filter(e -> e.sequence() > after).limit(count).toList();
            last = page.isEmpty() ? after : page.getLast().sequence();
        }
        return ApiResponse.ok(new EventsPage(List.copyOf(page), last));
    }

    private static List<String> ids(List<NodeId> nodes) {
        return nodes.stream().map(NodeId::toString).toList();
    }

    // ------------------------------------------------------------------ state changes

    private ApiResponse requestState(Context ctx) {
        String authorization = ctx.header("Authorization");
        AdminApi.StateRequest request;
        try {
            request = AdminApi.StateRequest.parse(ctx.bodyAsBytes());
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        synchronized (this) {
            received.add(new Received(ctx.pathParam("node"), authorization, request));
            if (!("Bearer " + TOKEN).equals(authorization)) {
                return ApiResponse.error(401, "unauthorized", authorization == null
                        ? "this cluster requires a token: pass --token or set SLUICE_TOKEN (a local cluster writes it to <data-dir>/token)"
                        : "the token is wrong");
            }
            Optional<Worker> found = find(ctx.pathParam("node"));
            if (found.isEmpty()) {
                return ApiResponse.error(404, "not-found", "unknown node '" + ctx.pathParam("node") + "'");
            }
            Worker worker = found.get();
            WorkerState from = worker.state;
            WorkerState to = request.state();
            if (from == to) {
                return ApiResponse.ok(new StateChanged(view(worker), false, List.of()));
            }
            TransitionTable.Cell cell = TransitionTable.cell(from, to);
            TransitionTable.Permission permission = cell.permission(Actor.OPERATOR);
            if (!cell.legal() || permission == TransitionTable.Permission.NOT_PERMITTED
                    || (permission == TransitionTable.Permission.FORCE_ONLY && !request.force())) {
                String kind = !cell.legal() ? "illegal-transition" : permission == TransitionTable.Permission.NOT_PERMITTED
                        ? "actor-not-permitted" : "needs-force";
                return new ApiResponse(409, new RefusalView("refused", kind, worker.id + " is " + from + ": " + cell.hint(), worker.id.toString(),
                        from, to, TransitionTable.allowedNext(from, Actor.OPERATOR), TransitionTable.allowedNextWithForce(from, Actor.OPERATOR),
                        List.of()));
            }
            List<Move> plan = to == WorkerState.DRAINING ? plan(worker.id) : List.of();
            if (request.dryRun()) {
                return ApiResponse.ok(dryRun(worker, to, plan));
            }
            worker.state = to;
            worker.lastChange = new StateChangeView(now, "operator", request.reason(), worker.lastChange.version() + 1);
            event(EventKind.NODE_TRANSITION, worker.id, null, worker.id + " " + from + " → " + to + " by operator: " + request.reason(), Map.of());
            if (to == WorkerState.DRAINING) {
                drains.put(worker.id, new Drain(worker.id, now, plan));
                event(EventKind.DRAIN_STARTED, worker.id, null, "drain of " + worker.id + " started: " + plan.size() + " replicas to move", Map.of());
            } else if (from == WorkerState.DRAINING && to == WorkerState.ACTIVE) {
                event(EventKind.DRAIN_CANCELLED, worker.id, null, "drain of " + worker.id + " cancelled", Map.of());
                drains.remove(worker.id);
            }
            return ApiResponse.ok(new StateChanged(view(worker), true, List.of()));
        }
    }

    /** The 401 a mutating request without the right token gets, as the admin API words it; empty when it may go on. */
    private static Optional<ApiResponse> unauthorized(String authorization) {
        if (("Bearer " + TOKEN).equals(authorization)) {
            return Optional.empty();
        }
        return Optional.of(ApiResponse.error(401, "unauthorized", authorization == null
                ? "this cluster requires a token: pass --token or set SLUICE_TOKEN (a local cluster writes it to <data-dir>/token)"
                : "the token is wrong"));
    }

    private static String label(Worker worker) {
        return worker.id + " (" + worker.name + ")";
    }

    private boolean inMaintenance(Worker worker) {
        return worker.maintenance != null && worker.maintenance.activeAt(now);
    }

    // ------------------------------------------------------------------ maintenance

    private ApiResponse beginMaintenance(Context ctx) {
        String authorization = ctx.header("Authorization");
        AdminApi.MaintenanceRequest request;
        try {
            request = AdminApi.MaintenanceRequest.parse(ctx.bodyAsBytes());
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        synchronized (this) {
            maintenanceReceived.add(new MaintenanceReceived("POST", ctx.pathParam("node"), authorization, request));
            Optional<ApiResponse> refused = unauthorized(authorization);
            if (refused.isPresent()) {
                return refused.get();
            }
            Optional<Worker> found = find(ctx.pathParam("node"));
            if (found.isEmpty()) {
                return ApiResponse.error(404, "not-found", "unknown node '" + ctx.pathParam("node") + "'");
            }
            Worker worker = found.get();
            if (worker.state != WorkerState.ACTIVE) {
                return new ApiResponse(409, maintenanceRefusal(worker, "guard-failed", "only an active worker goes into maintenance; " + label(worker)
                        + ": it is " + worker.state, List.of()));
            }
            List<BlockingPartition> atRisk = precheck(Set.of(worker.id), true);
            List<String> warnings = BlockingPartition.grouped(precheck(Set.of(worker.id), false)).stream().map(BlockingPartition.Group::toString).toList();
            RefusalView refusal = atRisk.isEmpty() ? null : maintenanceRefusal(worker, "guard-failed", label(worker)
                    + " cannot go into maintenance now: " + atRisk.size() + " partitions would be at risk while it is away: "
                    + BlockingPartition.summary(atRisk, 3) + "; forcing it does it anyway", atRisk);
            if (request.dryRun()) {
                List<LeadershipChange> leaderships = new ArrayList<>();
                if (refusal == null) {
                    for (Partition p : partitions) {
                        if (worker.id.equals(p.leader)) {
                            leaderInstead(p, worker.id).ifPresent(to ->
                                    leaderships.add(new LeadershipChange(p.id, worker.id, to, LeadershipChange.Cause.LEADER_IN_MAINTENANCE)));
                        }
                    }
                }
                return ApiResponse.ok(new MaintenanceDryRunView(true, view(worker), refusal == null, refusal,
                        leaderships.stream().map(WireViews::leadershipChange).toList(), warnings));
            }
            if (refusal != null && !request.force()) {
                return new ApiResponse(409, refusal);
            }
            Maintenance lasting = inMaintenance(worker) ? worker.maintenance : null;
            Instant until = now.plus(request.duration());
            worker.maintenance = lasting != null
                    ? new Maintenance(request.reason(), Actor.OPERATOR, lasting.since(), until, lasting.generation(), "request-" + steps, null)
                    : new Maintenance(request.reason(), Actor.OPERATOR, now, until, worker.generation, "request-" + steps, null);
            event(EventKind.MAINTENANCE_STARTED, worker.id, null, label(worker) + (lasting != null ? " stays in maintenance, now until " : " in maintenance until ")
                    + until + " by operator" + (request.reason().isEmpty() ? "" : ": " + request.reason()), Map.of());
            return ApiResponse.ok(new StateChanged(view(worker), true, warnings));
        }
    }

    private ApiResponse endMaintenance(Context ctx) {
        String authorization = ctx.header("Authorization");
        synchronized (this) {
            maintenanceReceived.add(new MaintenanceReceived("DELETE", ctx.pathParam("node"), authorization, null));
            Optional<ApiResponse> refused = unauthorized(authorization);
            if (refused.isPresent()) {
                return refused.get();
            }
            Optional<Worker> found = find(ctx.pathParam("node"));
            if (found.isEmpty()) {
                return ApiResponse.error(404, "not-found", "unknown node '" + ctx.pathParam("node") + "'");
            }
            Worker worker = found.get();
            if (worker.maintenance == null || worker.maintenance.end() != null) {
                return ApiResponse.ok(new StateChanged(view(worker), false, List.of()));
            }
            endMaintenanceOf(worker, Maintenance.EndCause.ENDED_BY_OPERATOR, Actor.OPERATOR);
            return ApiResponse.ok(new StateChanged(view(worker), true, List.of()));
        }
    }

    private void endMaintenanceOf(Worker worker, Maintenance.EndCause cause, Actor by) {
        worker.maintenance = worker.maintenance.ended(now, cause, by);
        event(EventKind.MAINTENANCE_ENDED, worker.id, null, "maintenance of " + label(worker) + " ended: " + cause, Map.of());
    }

    private static RefusalView maintenanceRefusal(Worker worker, String kind, String message, List<BlockingPartition> blocking) {
        // As the server refuses a maintenance: not a transition, so no current state and no states allowed next.
        return new RefusalView("refused", kind, message, worker.id.toString(), null, null, List.of(), List.of(), blocking);
    }

    /**
     * The server's maintenance pre-check, on the fake's partitions: with {@code going} away, and every worker already
     * dead or in maintenance, the partitions left without a majority ({@code blocking}), or else those whose live
     * replicas would all be in one zone although the set spans more (not {@code blocking}: warnings).
     */
    private List<BlockingPartition> precheck(Set<NodeId> going, boolean blocking) {
        Set<NodeId> alreadyAway = new TreeSet<>();
        workers.values().stream().filter(w -> !w.alive || inMaintenance(w)).forEach(w -> alreadyAway.add(w.id));
        Set<NodeId> away = new TreeSet<>(going);
        away.addAll(alreadyAway);
        List<BlockingPartition> found = new ArrayList<>();
        for (Partition p : partitions) {
            if (p.current.stream().noneMatch(going::contains)) {
                continue;
            }
            List<NodeId> staying = p.current.stream().filter(n -> !away.contains(n)).toList();
            int majority = p.current.size() / 2 + 1;
            if (staying.size() < majority) {
                if (blocking) {
                    List<NodeId> othersAway = p.current.stream().filter(alreadyAway::contains).toList();
                    found.add(new BlockingPartition(p.id, MaintenancePrecheck.WOULD_LOSE_MAJORITY, "would keep " + staying.size() + " of its "
                            + p.current.size() + " replicas, fewer than the " + majority + " a majority needs, so its writes would stop"
                            + (othersAway.isEmpty() ? "" : " (" + String.join(", ", othersAway.stream().map(n -> label(workers.get(n))).toList())
                                    + " already away: dead or in maintenance)")));
                }
                continue;
            }
            Set<String> zonesBefore = new TreeSet<>(p.current.stream().map(n -> workers.get(n).location.toString()).toList());
            Set<String> zonesAfter = new TreeSet<>(staying.stream().map(n -> workers.get(n).location.toString()).toList());
            if (!blocking && zonesBefore.size() > 1 && zonesAfter.size() == 1) {
                found.add(new BlockingPartition(p.id, MaintenancePrecheck.WOULD_LEAVE_ONE_ZONE, "its live replicas would all be in zone "
                        + zonesAfter.iterator().next() + " though its set spans " + String.join(", ", zonesBefore)
                        + ": an outage of that zone during the maintenance would stop it"));
            }
        }
        return found;
    }

    /** The member that would lead {@code p} instead of {@code leaving}: the first alive one not in maintenance. */
    private Optional<NodeId> leaderInstead(Partition p, NodeId leaving) {
        return p.current.stream().filter(n -> !n.equals(leaving) && workers.get(n).alive && !inMaintenance(workers.get(n))).findFirst();
    }

    // ------------------------------------------------------------------ rolling restarts

    private ApiResponse startRollout(Context ctx) {
        String authorization = ctx.header("Authorization");
        RolloutApi.StartRequest request;
        try {
            request = RolloutApi.StartRequest.parse(ctx.bodyAsBytes());
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        synchronized (this) {
            rolloutReceived.add(new RolloutReceived("POST", authorization, request));
            Optional<ApiResponse> refused = unauthorized(authorization);
            if (refused.isPresent()) {
                return refused.get();
            }
            List<Worker> chosen = new ArrayList<>();
            if (!request.nodes().isEmpty()) {
                for (String reference : request.nodes()) {
                    Optional<Worker> found = find(reference);
                    if (found.isEmpty()) {
                        return ApiResponse.error(400, "bad-request", "unknown node '" + reference + "'");
                    }
                    chosen.add(found.get());
                }
            } else {
                workers.values().stream().filter(w -> w.state == WorkerState.ACTIVE)
                        .filter(w -> request.zone() == null || w.location.toString().equals(request.zone()) || w.location.zone().equals(request.zone()))
                        .forEach(chosen::add);
                if (chosen.isEmpty()) {
                    return ApiResponse.error(400, "bad-request", "no active worker is in zone '" + request.zone() + "'");
                }
            }
            for (Worker worker : chosen) {
                if (worker.state != WorkerState.ACTIVE) {
                    return ApiResponse.error(400, "bad-request", label(worker) + " is " + worker.state + "; a rolling restart restarts active workers");
                }
            }
            // Zone by zone, as the server orders them.
            chosen.sort(Comparator.comparing((Worker w) -> w.location.toString()).thenComparingInt(w -> w.id.value()));
            List<RolloutPlanView.Step> plan = chosen.stream().map(w -> new RolloutPlanView.Step(w.id, w.name, w.location.toString(),
                    partitions.stream().filter(p -> w.id.equals(p.leader)).count(), precheck(Set.of(w.id), true), precheck(Set.of(w.id), false))).toList();
            boolean allowed = plan.stream().allMatch(step -> step.blocking().isEmpty());
            if (request.dryRun()) {
                return ApiResponse.ok(new RolloutPlanView(true, allowed, null, plan));
            }
            if (rollout != null && rollout.running()) {
                return ApiResponse.error(409, "refused", "rolling restart " + rollout.id + " is running (" + rollout.done() + " of " + rollout.steps.size()
                        + " workers restarted); wait for it or cancel it first");
            }
            if (!allowed) {
                return ApiResponse.error(409, "refused", "restarting these workers one at a time would cost partitions their majority: "
                        + String.join("; ", plan.stream().filter(step -> !step.blocking().isEmpty())
                                .map(step -> step.label() + ": " + BlockingPartition.summary(step.blocking(), 2)).toList())
                        + "; bring back the workers that are away first");
            }
            rollout = new PlayedRollout("%08x".formatted(0x5e1ce000 + ++rollouts), request.reason(), now, request.nodeTimeout(),
                    chosen.stream().map(RolloutStep::new).toList());
            event(EventKind.ROLLOUT_STARTED, null, null, "rolling restart " + rollout.id + " of "
                    + String.join(", ", chosen.stream().map(FakeCluster::label).toList()) + " started", Map.of());
            return new ApiResponse(201, rolloutView(rollout));
        }
    }

    private ApiResponse currentRollout() {
        return rollout == null ? ApiResponse.error(404, "not-found", "no rolling restart has run in this cluster") : ApiResponse.ok(rolloutView(rollout));
    }

    private ApiResponse cancelRollout(Context ctx) {
        String authorization = ctx.header("Authorization");
        synchronized (this) {
            rolloutReceived.add(new RolloutReceived("DELETE", authorization, null));
            Optional<ApiResponse> refused = unauthorized(authorization);
            if (refused.isPresent()) {
                return refused.get();
            }
            if (rollout == null) {
                return ApiResponse.error(404, "not-found", "no rolling restart has run in this cluster");
            }
            if (!rollout.running()) {
                return ApiResponse.ok(rolloutView(rollout));
            }
            // As on the server: a worker not yet shut down leaves its maintenance now; one already restarting comes back and catches up.
            rollout.current().filter(step -> step.phase == Phase.SHEDDING_LEADERSHIPS)
                    .ifPresent(step -> endMaintenanceOf(workers.get(step.node), Maintenance.EndCause.ENDED_BY_OPERATOR, Actor.OPERATOR));
            endRollout(dev.sluice.controller.Rollout.State.CANCELLED, "cancelled by the operator");
            return ApiResponse.ok(rolloutView(rollout));
        }
    }

    private void endRollout(dev.sluice.controller.Rollout.State how, String because) {
        rollout.state = how;
        rollout.stoppedBecause = because;
        rollout.endedAt = now;
        rollout.updatedAt = now;
        event(EventKind.ROLLOUT_ENDED, null, null, "rolling restart " + rollout.id + " " + how + " (" + rollout.done() + " of " + rollout.steps.size()
                + " workers restarted)" + (because == null ? "" : ": " + because), Map.of());
    }

    private static RolloutView rolloutView(PlayedRollout rollout) {
        return new RolloutView(rollout.id, rollout.reason, rollout.state.wireName(), rollout.startedAt, rollout.endedAt, rollout.updatedAt,
                rollout.nodeTimeout.toSeconds(), (int) rollout.done(), rollout.steps.size(), rollout.stoppedBecause,
                rollout.steps.stream().map(step -> new RolloutView.Step(step.node, step.name, step.phase.wireName(), step.phaseSince, step.startedAt,
                        step.doneAt, step.phase == Phase.RESTARTING ? "its supervisor to start it again" : null)).toList());
    }

    /** For each replica on {@code node}: the live Active worker outside the set holding the fewest replicas. */
    private List<Move> plan(NodeId node) {
        Map<NodeId, Integer> load = new TreeMap<>();
        workers.values().stream().filter(w -> w.alive && w.state == WorkerState.ACTIVE && !w.id.equals(node)).forEach(w -> load.put(w.id, 0));
        partitions.forEach(p -> p.current.forEach(n -> load.computeIfPresent(n, (k, v) -> v + 1)));
        List<Move> moves = new ArrayList<>();
        for (Partition p : partitions) {
            if (p.current.contains(node)) {
                NodeId target = load.keySet().stream().filter(n -> !p.current.contains(n))
                        .min(Comparator.<NodeId, Integer>comparing(load::get).thenComparingInt(NodeId::value)).orElseThrow();
                load.merge(target, 1, Integer::sum);
                moves.add(new Move(p.id, node, target));
            }
        }
        return moves;
    }

    private DryRunView dryRun(Worker worker, WorkerState target, List<Move> moves) {
        List<LeadershipChange> leaders = new ArrayList<>();
        for (Partition p : partitions) {
            if (worker.id.equals(p.leader) && target == WorkerState.DRAINING) {
                NodeId to = p.current.stream().filter(n -> !n.equals(worker.id) && workers.get(n).alive).findFirst().orElseThrow();
                leaders.add(new LeadershipChange(p.id, worker.id, to, LeadershipChange.Cause.LEADER_DRAINING));
            }
        }
        Map<String, Integer> perWorker = new TreeMap<>();
        partitions.forEach(p -> p.current.forEach(n -> perWorker.merge(n.toString(), 1, Integer::sum)));
        moves.forEach(m -> {
            perWorker.merge(m.from().toString(), -1, Integer::sum);
            perWorker.merge(m.to().toString(), 1, Integer::sum);
        });
        return new DryRunView(true, view(worker), target, true, null, moves.stream().map(WireViews::move).toList(),
                leaders.stream().map(WireViews::leadershipChange).toList(), List.of(), perWorker,
                List.of("N5 is dead: it is not a target, and its own replicas are replaced after the grace period"));
    }

    // ------------------------------------------------------------------ the script

    /** Plays one step of every running drain, of the workers in maintenance and of the rolling restart. */
    private void step() {
        if (stallHeld != null && drains.values().stream()
                .anyMatch(d -> stalling(d) && d.stalledSince != null && Duration.between(d.stalledSince, now).compareTo(stallHeld) >= 0)) {
            return;
        }
        if (rolloutHeld().filter(step -> Duration.between(step.phaseSince, now).compareTo(rolloutHold.lasting()) >= 0).isPresent()) {
            return;
        }
        steps++;
        now = now.plus(STEP);
        stepMaintenance();
        stepRollout();
        for (Drain drain : drains.values()) {
            Worker worker = workers.get(drain.node);
            if (worker.state != WorkerState.DRAINING) {
                continue;
            }
            if (!drain.leadershipsShed) {
                for (Partition p : partitions) {
                    if (drain.node.equals(p.leader)) {
                        NodeId to = p.current.stream().filter(n -> !n.equals(drain.node) && workers.get(n).alive).findFirst().orElseThrow();
                        p.leader = to;
                        event(EventKind.LEADERSHIP_MOVED, to, p.id, p.id + " leadership " + drain.node + " → " + to + " (leader-draining)", Map.of());
                    }
                }
                drain.leadershipsShed = true;
                continue;
            }
            if (stalling(drain)) {
                if (drain.stalledSince == null) {
                    drain.stalledSince = now;
                }
                if (stallHeld == null || drain.stallStepsLeft > 1) {
                    drain.stallStepsLeft--;
                }
                if (drain.stallStepsLeft == STALL_STEPS - 1) {
                    event(EventKind.DRAIN_STALLED, drain.node, drain.inFlight.partition(), "drain of " + drain.node + " stalled: "
                            + drain.inFlight.partition() + " " + stallMessage(drain), Map.of());
                }
                continue;
            }
            if (drain.inFlight != null) {
                Partition p = partitions.get(drain.inFlight.partition().value());
                p.current = p.next;
                p.next = List.of();
                p.changeStartedAt = null;
                event(EventKind.PARTITION_MOVED, drain.inFlight.to(), p.id, p.id + " moved " + drain.inFlight.from() + " → "
                        + drain.inFlight.to() + " in 4 820 ms", Map.of("millis", 4820L));
                drain.inFlight = null;
            }
            if (drain.nextMove < drain.moves.size()) {
                Move move = drain.moves.get(drain.nextMove++);
                Partition p = partitions.get(move.partition().value());
                List<NodeId> next = new ArrayList<>(p.current);
                next.set(next.indexOf(move.from()), move.to());
                p.next = List.copyOf(next);
                p.changeStartedAt = now;
                drain.inFlight = move;
                event(EventKind.PARTITION_MOVE_STARTED, move.to(), p.id, p.id + " " + move.from() + " → " + move.to() + " started", Map.of());
            } else {
                worker.state = WorkerState.DISABLED;
                worker.lastChange = new StateChangeView(now, "controller", "drained: in no replica set and leads nothing",
                        worker.lastChange.version() + 1);
                drain.completedAt = now;
                event(EventKind.DRAIN_COMPLETED, drain.node, null, "drain of " + drain.node + " completed: " + drain.replicasAtStart
                        + " replicas moved in " + Duration.between(drain.startedAt, now).toSeconds() + " s", Map.of());
                event(EventKind.NODE_TRANSITION, drain.node, null, drain.node + " draining → disabled by controller: drained", Map.of());
            }
        }
    }

    /** The step of the running rollout that {@link #holdRollout} keeps in its phase now, if any. */
    private Optional<RolloutStep> rolloutHeld() {
        if (rolloutHold == null || rollout == null || !rollout.running()) {
            return Optional.empty();
        }
        return rollout.current().filter(step -> step.node.equals(rolloutHold.node()) && step.phase == rolloutHold.phase() && step.phaseSince != null);
    }

    /**
     * What the controller does for maintenance on each pass: a worker in maintenance leads nothing; a worker that
     * shut down comes back with a new generation when it is due (unless held in its phase, or it never returns); one
     * back with a newer generation than its maintenance began with has caught up a {@link #PHASE} later, and its
     * maintenance ends.
     */
    private void stepMaintenance() {
        for (Worker worker : workers.values()) {
            if (inMaintenance(worker)) {
                for (Partition p : partitions) {
                    if (worker.id.equals(p.leader)) {
                        Optional<NodeId> to = leaderInstead(p, worker.id);
                        to.ifPresent(next -> {
                            p.leader = next;
                            event(EventKind.LEADERSHIP_MOVED, next, p.id, p.id + " leadership " + worker.id + " → " + next + " (leader-in-maintenance)", Map.of());
                        });
                    }
                }
            }
            boolean held = rolloutHeld().filter(step -> step.node.equals(worker.id)).isPresent();
            if (!worker.alive && worker.returnsAt != null && !now.isBefore(worker.returnsAt) && !held) {
                worker.alive = true;
                worker.generation++;
                worker.returnsAt = null;
                worker.backSince = now;
                event(EventKind.NODE_ALIVE, worker.id, null, label(worker) + " is back (generation " + worker.generation + ")", Map.of());
            } else if (inMaintenance(worker) && worker.alive && worker.generation > worker.maintenance.generation() && worker.backSince != null
                    && !now.isBefore(worker.backSince.plus(PHASE))) {
                endMaintenanceOf(worker, Maintenance.EndCause.CAUGHT_UP, Actor.CONTROLLER);
            }
        }
    }

    /** Takes the running rolling restart one phase further where a phase has lasted {@link #PHASE}, as the controller would. */
    private void stepRollout() {
        if (rollout == null || !rollout.running()) {
            return;
        }
        Optional<RolloutStep> current = rollout.current();
        if (current.isEmpty()) {
            endRollout(dev.sluice.controller.Rollout.State.COMPLETED, null);
            return;
        }
        RolloutStep step = current.get();
        Worker worker = workers.get(step.node);
        boolean held = rolloutHeld().isPresent();
        Duration inPhase = step.phaseSince == null ? Duration.ZERO : Duration.between(step.phaseSince, now);
        boolean phaseOver = !held && inPhase.compareTo(PHASE) >= 0;
        switch (step.phase) {
            case WAITING -> {
                List<BlockingPartition> atRisk = precheck(Set.of(worker.id), true);
                if (!atRisk.isEmpty()) {
                    endRollout(dev.sluice.controller.Rollout.State.STOPPED, "before restarting " + label(worker) + ": " + label(worker)
                            + " cannot go into maintenance now: " + BlockingPartition.summary(atRisk, 3));
                    return;
                }
                worker.maintenance = new Maintenance("rolling restart " + rollout.id, Actor.CONTROLLER, now,
                        now.plus(rollout.nodeTimeout.multipliedBy(3)).plus(Duration.ofSeconds(30)), worker.generation,
                        rollout.maintenanceRequestId(worker.id), null);
                event(EventKind.MAINTENANCE_STARTED, worker.id, null, label(worker) + " in maintenance until " + worker.maintenance.until()
                        + " by controller: rolling restart " + rollout.id, Map.of());
                step.generationBefore = worker.generation;
                step.startedAt = now;
                advance(step, Phase.SHEDDING_LEADERSHIPS);
            }
            case SHEDDING_LEADERSHIPS -> {
                if (phaseOver) {
                    advance(step, Phase.SHUTTING_DOWN);
                }
            }
            case SHUTTING_DOWN -> {
                if (phaseOver) {
                    worker.alive = false;
                    worker.returnsAt = neverReturning.contains(worker.id) ? null : now.plus(PHASE);
                    event(EventKind.NODE_DEAD, worker.id, null, label(worker) + " shut down for rolling restart " + rollout.id, Map.of());
                    advance(step, Phase.RESTARTING);
                }
            }
            case RESTARTING -> {
                if (worker.alive && worker.generation > step.generationBefore) {
                    advance(step, Phase.CATCHING_UP);
                } else if (!held && inPhase.compareTo(rollout.nodeTimeout) > 0) {
                    endRollout(dev.sluice.controller.Rollout.State.STOPPED, label(worker) + " did not come back within "
                            + Durations.human(rollout.nodeTimeout) + "; it stays in maintenance until " + worker.maintenance.until());
                }
            }
            case CATCHING_UP -> {
                if (!inMaintenance(worker)) {
                    advance(step, Phase.DONE);
                    event(EventKind.ROLLOUT_NODE_RESTARTED, worker.id, null, label(worker) + " restarted and caught up in "
                            + Durations.human(Duration.between(step.startedAt, now)) + " (" + rollout.done() + " of " + rollout.steps.size() + ")", Map.of());
                    if (rollout.current().isEmpty()) {
                        endRollout(dev.sluice.controller.Rollout.State.COMPLETED, null);
                    }
                }
            }
            case DONE -> throw new IllegalStateException("BUG: a done step is not current");
        }
    }

    private void advance(RolloutStep step, Phase next) {
        step.enter(next, now);
        rollout.updatedAt = now;
    }

    /**
     * The drain stalls once, for {@link #STALL_STEPS} steps, on its move a third of the way through: the
     * move is in flight (joining and leaving show on the map) but its target does not catch up.
     */
    private static boolean stalling(Drain drain) {
        return drain.inFlight != null && drain.nextMove - 1 == drain.moves.size() / 3 && drain.stallStepsLeft > 0;
    }

    private static String stallMessage(Drain drain) {
        return "target " + drain.inFlight.to() + " has not caught up with the leader after 30 s; retrying";
    }

    private DrainProgress progress(Drain drain) {
        int remaining = (int) partitions.stream().filter(p -> p.current.contains(drain.node) || p.next.contains(drain.node)).count();
        int leaderships = (int) partitions.stream().filter(p -> drain.node.equals(p.leader)).count();
        int done = drain.replicasAtStart - remaining;
        double minutes = Math.max(1, Duration.between(drain.startedAt, now).toSeconds()) / 60.0;
        double rate = done / minutes;
        Long eta = done == 0 ? null : Math.round(remaining / rate * 60);
        boolean stalled = stalling(drain) && drain.stallStepsLeft < STALL_STEPS;
        List<DrainProgress.StalledPartition> stalledPartitions = stalled
                ? List.of(new DrainProgress.StalledPartition(drain.inFlight.partition(), drain.inFlight.to(),
                        dev.sluice.controller.StallReason.CATCH_UP_NOT_ADVANCING, stallMessage(drain), drain.stalledSince))
                : List.of();
        Worker worker = workers.get(drain.node);
        return new DrainProgress(drain.node, new GenerationalNodeId(drain.node, 2), worker.name, worker.state, drain.startedAt, drain.completedAt,
                drain.replicasAtStart, remaining, leaderships, drain.inFlight == null ? 0 : 1, done, rate, eta, stalled, stalledPartitions, null, now);
    }

    private void event(EventKind kind, NodeId node, PartitionId partition, String message, Map<String, Long> numbers) {
        events.add(new EventView(events.size() + 1, now, kind, node == null ? null : node.toString(),
                partition == null ? null : partition.toString(), message, numbers));
    }
}
