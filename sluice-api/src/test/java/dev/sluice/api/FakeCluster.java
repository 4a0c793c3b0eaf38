package dev.sluice.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.controller.DrainProgress;
import dev.sluice.metadata.Json;
import dev.sluice.model.Actor;
import dev.sluice.model.EventKind;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Location;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.Role;
import dev.sluice.model.TransitionTable;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.LeadershipChange;
import dev.sluice.scheduler.Move;
import dev.sluice.wire.ClientImpactView;
import dev.sluice.wire.ClusterView;
import dev.sluice.wire.ControllerView;
import dev.sluice.wire.DryRunView;
import dev.sluice.wire.EventView;
import dev.sluice.wire.EventsPage;
import dev.sluice.wire.NodeView;
import dev.sluice.wire.PartitionView;
import dev.sluice.wire.RefusalView;
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
import java.util.function.UnaryOperator;
import java.util.TreeMap;
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
 * <p>Mutating routes require {@code Authorization: Bearer }{@link #TOKEN}. Every state request is
 * recorded for the test to inspect. {@link #metadataDown(boolean)} makes every read answer 503, as a node
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

    /** A state request as the fake received it. */
    record Received(String node, String authorization, AdminApi.StateRequest request) {}

    private static final class Worker {
        final NodeId id;
        final String name;
        final Location location;
        final boolean alive;
        WorkerState state;
        StateChangeView lastChange;

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
    private Instant now = START;
    private long steps;
    private boolean metadataDown;
    private Duration stallHeld;
    private boolean clientsReported;
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
        }).start("127.0.0.1", 0);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    synchronized List<Received> received() {
        return List.copyOf(received);
    }

    synchronized void metadataDown(boolean down) {
        metadataDown = down;
    }

    /** Keeps a drain's stall until it has lasted {@code duration}, then stops the script: nothing moves, time stands still. */
    synchronized void holdStall(Duration duration) {
        stallHeld = duration;
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
        return ApiResponse.ok(new ClusterView("fake", PARTITIONS, REPLICAS, 2,
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
        return new NodeView(worker.id.toString(), new GenerationalNodeId(worker.id, 2).toString(), worker.name, worker.state,
                worker.state.description(), List.of(Role.ADMIN, Role.WORKER), worker.location.toString(), "127.0.0.1:70" + worker.id.value(),
                "http://127.0.0.1:80" + worker.id.value(), worker.alive, replicas, leaderships, worker.lastChange,
                drain == null ? null : WireViews.drain(progress(drain), UnaryOperator.identity()), null);
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

    /** Plays one step of every running drain. */
    private void step() {
        if (stallHeld != null && drains.values().stream()
                .anyMatch(d -> stalling(d) && d.stalledSince != null && Duration.between(d.stalledSince, now).compareTo(stallHeld) >= 0)) {
            return;
        }
        steps++;
        now = now.plus(STEP);
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
