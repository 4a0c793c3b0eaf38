package dev.sluice.chaos;

import dev.sluice.wire.StateChanged;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An operator acting at seeded moments through the admin API, whatever the nemesis is doing: drains a node,
 * cancels a drain, activates a disabled node, on any node including dead or cut-off ones. At most one node is
 * out of service at a time (draining or disabled), since four workers with three replicas per partition
 * leave room for one. Records every request and its answer, and every drain it started.
 */
final class Operator {

    static final Duration MIN_INTERVAL = Duration.ofSeconds(8);
    static final Duration MAX_INTERVAL = Duration.ofSeconds(20);
    /** Chance that a round which finds a drain running cancels it (else it lets the drain go on). */
    static final double CANCEL_PROBABILITY = 0.35;

    /** One request: what, on which node, the answer's status ({@code -1}: no node answered) and message. */
    record Action(long atNanos, String action, String node, int status, String message) {
        String describe() {
            return String.format(java.util.Locale.ROOT, "%7.3f s %-8s %-7s -> %s", atNanos / 1e9, action, node,
                    status < 0 ? message : status + " " + message);
        }
    }

    /** A drain this operator started: when, and whether it later cancelled it. */
    static final class Drain {
        final String node;
        final long startedNanos;
        volatile boolean cancelled;

        Drain(String node, long startedNanos) {
            this.node = node;
            this.startedNanos = startedNanos;
        }
    }

    private final Admin admin;
    private final Random random;
    private final long startNanos;
    private final PrintStream log;
    private final List<Action> actions = new ArrayList<>();
    private final Map<String, List<Drain>> drains = new LinkedHashMap<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private Thread thread;

    Operator(Admin admin, long seed, long startNanos, PrintStream log) {
        this.admin = admin;
        this.random = new Random(seed);
        this.startNanos = startNanos;
        this.log = log;
    }

    void start() {
        thread = Thread.ofPlatform().name("chaos-operator").daemon().start(this::loop);
    }

    void stop() throws InterruptedException {
        stop.countDown();
        if (thread != null) {
            thread.join(Admin.REQUEST_TIMEOUT.multipliedBy(admin.nodes().size() * 2L).toMillis());
        }
    }

    private void loop() {
        try {
            while (!stop.await(between(MIN_INTERVAL, MAX_INTERVAL).toMillis(), TimeUnit.MILLISECONDS)) {
                act();
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** One seeded decision from the node states some node reports. */
    private void act() {
        int start;
        double roll;
        synchronized (random) {
            start = random.nextInt(admin.nodes().size());
            roll = random.nextDouble();
        }
        Optional<List<Admin.NodeState>> states = admin.nodeStates(start);
        if (states.isEmpty()) {
            record("look", "-", -1, "no node reported the nodes");
            return;
        }
        List<Admin.NodeState> nodes = states.get();
        Optional<Admin.NodeState> draining = nodes.stream().filter(n -> n.state().equals("draining")).findFirst();
        Optional<Admin.NodeState> disabled = nodes.stream().filter(n -> n.state().equals("disabled")).findFirst();
        if (draining.isPresent()) {
            if (roll < CANCEL_PROBABILITY) {
                request(draining.get().name(), "active", "cancel", "chaos operator: cancel the drain");
            }
        } else if (disabled.isPresent()) {
            request(disabled.get().name(), "active", "activate", "chaos operator: recommission");
        } else {
            List<Admin.NodeState> active = nodes.stream().filter(n -> n.state().equals("active")).toList();
            if (!active.isEmpty()) {
                request(active.get((int) (roll * 1_000_003) % active.size()).name(), "draining", "drain", "chaos operator: drain");
            }
        }
    }

    /** Starts a drain of {@code node} now (for the nemesis's "kill the draining node"); true if the node is draining after it. */
    boolean drainNow(String node) {
        int status = request(node, "draining", "drain", "chaos nemesis: drain before killing the draining node");
        return status == 200;
    }

    /** Asks for {@code state} on {@code node} at some node that answers; returns the status, or -1 if none answered. */
    private int request(String node, String state, String action, String reason) {
        int start;
        synchronized (random) {
            start = random.nextInt(admin.nodes().size());
        }
        String body = "{\"state\": \"" + state + "\", \"reason\": \"" + reason + "\"}";
        for (int i = 0; i < admin.nodes().size(); i++) {
            URI target = admin.nodes().get((start + i) % admin.nodes().size());
            Optional<Admin.Answer> answer = admin.post(target, "/api/v1/nodes/" + node + "/state", body);
            if (answer.isEmpty() || answer.get().status() == 503) {
                continue;
            }
            Admin.Answer a = answer.get();
            StateChanged applied = a.ok() ? a.as(StateChanged.class) : null;
            String message = applied != null ? "now " + applied.node().state() + (applied.changed() ? "" : " (no change)") : a.message();
            record(action, node, a.status(), message);
            if (applied != null && applied.changed()) {
                synchronized (drains) {
                    if (state.equals("draining")) {
                        drains.computeIfAbsent(node, n -> new ArrayList<>()).add(new Drain(node, System.nanoTime() - startNanos));
                    } else if (action.equals("cancel")) {
                        List<Drain> of = drains.getOrDefault(node, List.of());
                        if (!of.isEmpty()) {
                            of.getLast().cancelled = true;
                        }
                    }
                }
            }
            return a.status();
        }
        record(action, node, -1, "no node answered (a request that timed out may still have been applied)");
        return -1;
    }

    private void record(String action, String node, int status, String message) {
        Action recorded = new Action(System.nanoTime() - startNanos, action, node, status, message);
        synchronized (actions) {
            actions.add(recorded);
        }
        log.println("operator: " + recorded.describe());
    }

    private Duration between(Duration min, Duration max) {
        synchronized (random) {
            return min.plusMillis((long) (random.nextDouble() * (max.toMillis() - min.toMillis())));
        }
    }

    List<Action> actions() {
        synchronized (actions) {
            return List.copyOf(actions);
        }
    }

    /** Every drain started, by node, oldest first. */
    Map<String, List<Drain>> drains() {
        synchronized (drains) {
            Map<String, List<Drain>> copy = new LinkedHashMap<>();
            drains.forEach((node, list) -> copy.put(node, List.copyOf(list)));
            return copy;
        }
    }
}
