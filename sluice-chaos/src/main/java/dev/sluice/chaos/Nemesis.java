package dev.sluice.chaos;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Carries out a {@link Schedule} against a {@link ChaosCluster}: starts each fault at its time, holds it, heals
 * it, and records what it hit. Role-based faults (the controller leader, the draining node, the ZooKeeper
 * leader) resolve their target when they start; when no process has the role, the fault falls back to the
 * seed's choice among all candidates and says so. {@link #healEverything()} undoes whatever is still in
 * force, whatever state a failure left things in.
 */
final class Nemesis {

    /** What one fault did: its plan, the target found, and when it started and healed (nanoseconds into the run). */
    record Applied(Schedule.Fault fault, String target, long startedNanos, long healedNanos, String note) {
        String describe() {
            return String.format(java.util.Locale.ROOT, "#%d %-28s %-22s %7.1f s .. %7.1f s%s", fault.index(), fault.kind().wireName(), target,
                    startedNanos / 1e9, healedNanos / 1e9, note.isEmpty() ? "" : "  (" + note + ")");
        }
    }

    private final ChaosCluster cluster;
    private final Admin admin;
    private final Operator operator;
    private final Schedule schedule;
    private final long startNanos;
    private final PrintStream log;
    private final List<Applied> applied = new ArrayList<>();
    /** By fault index: who led which partition just before the fault started. */
    private final Map<Integer, Leadership> leadersAtStart = new ConcurrentHashMap<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private Thread thread;
    private volatile Throwable failure;
    /** The proxy of a link fault in force, closed by its heal or by {@link #healEverything()}. */
    private volatile LinkProxy impairedLinks;

    Nemesis(ChaosCluster cluster, Admin admin, Operator operator, Schedule schedule, long startNanos, PrintStream log) {
        this.cluster = cluster;
        this.admin = admin;
        this.operator = operator;
        this.schedule = schedule;
        this.startNanos = startNanos;
        this.log = log;
    }

    void start() {
        thread = Thread.ofPlatform().name("chaos-nemesis").daemon().start(() -> {
            try {
                for (Schedule.Fault fault : schedule.faults()) {
                    if (!waitUntil(fault.startAt().toNanos())) {
                        return;
                    }
                    run(fault);
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | java.io.IOException | Error broken) {
                failure = broken;
                log.println("nemesis failed: " + broken);
            }
        });
    }

    /** Stops after the fault in progress is healed, and waits for that. */
    void stop() throws InterruptedException {
        stop.countDown();
        if (thread != null) {
            thread.join(FaultKind.PAUSE_NODE.maxHold().plusMinutes(1).toMillis());
        }
    }

    Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** Waits until {@code atNanos} into the run; false if stopped first. */
    private boolean waitUntil(long atNanos) throws InterruptedException {
        long remaining = atNanos - (System.nanoTime() - startNanos);
        return remaining <= 0 ? stop.getCount() > 0 : !stop.await(remaining, TimeUnit.NANOSECONDS);
    }

    private long now() {
        return System.nanoTime() - startNanos;
    }

    private void run(Schedule.Fault fault) throws InterruptedException, java.io.IOException {
        Random choice = new Random(fault.choice());
        List<HostProcess> nodes = cluster.nodes();
        HostProcess chosenNode = nodes.get(choice.nextInt(nodes.size()));
        List<String> notes = new ArrayList<>();
        Runnable heal;
        String target;
        // Read before the fault, so the report can tell the partitions it hit from the others.
        leadersAtStart.put(fault.index(), Leadership.observe(nodes.stream().collect(Collectors.toMap(HostProcess::name, cluster::url)), cluster.token(),
                cluster.clientTls()));
        long started = now();
        switch (fault.kind()) {
            case KILL_NODE -> {
                target = chosenNode.name();
                heal = kill(chosenNode);
            }
            case KILL_CONTROLLER_LEADER -> {
                HostProcess leader = controllerLeader(notes).orElse(chosenNode);
                target = leader.name();
                heal = kill(leader);
            }
            case KILL_DRAINING_NODE -> {
                HostProcess draining = drainingNode(chosenNode, notes);
                target = draining.name();
                heal = kill(draining);
            }
            case PAUSE_NODE -> {
                target = chosenNode.name();
                heal = pause(chosenNode);
            }
            case PAUSE_CONTROLLER_LEADER -> {
                HostProcess leader = controllerLeader(notes).orElse(chosenNode);
                target = leader.name();
                heal = pause(leader);
            }
            case ISOLATE_NODE, ISOLATE_NODE_ONE_WAY -> {
                HostNetwork.Host host = chosenNode.host();
                List<HostNetwork.Host> others = cluster.network().hosts().stream().filter(h -> !h.equals(host)).toList();
                cluster.network().cut(host, others, fault.kind() == FaultKind.ISOLATE_NODE ? HostNetwork.Direction.BOTH : HostNetwork.Direction.OUTGOING);
                target = chosenNode.name();
                heal = () -> cluster.network().heal(host);
            }
            case SPLIT_MAJORITY_MINORITY -> {
                List<HostNetwork.Host> hosts = new ArrayList<>(cluster.network().hosts());
                hosts.sort(Comparator.comparing(HostNetwork.Host::name));
                Collections.shuffle(hosts, choice);
                List<HostNetwork.Host> minority = List.copyOf(hosts.subList(0, hosts.size() / 2));
                List<HostNetwork.Host> majority = List.copyOf(hosts.subList(hosts.size() / 2, hosts.size()));
                for (HostNetwork.Host host : minority) {
                    cluster.network().cut(host, majority, HostNetwork.Direction.BOTH);
                }
                target = "minority " + minority.stream().map(HostNetwork.Host::name).sorted().toList();
                heal = () -> minority.forEach(cluster.network()::heal);
            }
            case ISOLATE_NODE_FROM_ZOOKEEPER -> {
                HostNetwork.Host host = chosenNode.host();
                cluster.network().cut(host, cluster.zooKeepers().stream().map(HostProcess::host).toList(), HostNetwork.Direction.BOTH);
                target = chosenNode.name();
                heal = () -> cluster.network().heal(host);
            }
            case KILL_ZOOKEEPER_FOLLOWER, KILL_ZOOKEEPER_LEADER -> {
                String mode = fault.kind() == FaultKind.KILL_ZOOKEEPER_LEADER ? "leader" : "follower";
                List<HostProcess> candidates = cluster.zooKeepers().stream().filter(z -> ChaosCluster.zooKeeperMode(z).orElse("").equals(mode)).toList();
                HostProcess zooKeeper;
                if (candidates.isEmpty()) {
                    zooKeeper = cluster.zooKeepers().get(choice.nextInt(cluster.zooKeepers().size()));
                    notes.add("no ZooKeeper " + mode + " answered; killed one chosen by the seed");
                } else {
                    zooKeeper = candidates.get(choice.nextInt(candidates.size()));
                }
                target = zooKeeper.name();
                heal = kill(zooKeeper);
            }
            case KILL_ZOOKEEPER_MAJORITY -> {
                List<HostProcess> ensemble = new ArrayList<>(cluster.zooKeepers());
                Collections.shuffle(ensemble, choice);
                List<HostProcess> majority = List.copyOf(ensemble.subList(0, ensemble.size() / 2 + 1));
                notes.add("modes before: " + modes(cluster.zooKeepers()));
                List<Runnable> restarts = new ArrayList<>();
                for (HostProcess zooKeeper : majority) {
                    restarts.add(kill(zooKeeper));
                }
                target = majority.stream().map(HostProcess::name).sorted().collect(java.util.stream.Collectors.joining("+"));
                heal = () -> restarts.forEach(Runnable::run);
            }
            case SLOW_NODE_LINKS, LOSSY_NODE_LINKS -> {
                LinkImpairment impairment = fault.kind() == FaultKind.SLOW_NODE_LINKS ? LinkImpairment.slow() : LinkImpairment.lossy();
                LinkProxy proxy = impairLinks(chosenNode, impairment, choice.nextLong());
                notes.add(impairment.describe());
                target = chosenNode.name();
                heal = () -> {
                    // Rules first, so the connections the closing proxy drops come back directly.
                    cluster.nodes().forEach(node -> cluster.network().heal(node.host()));
                    proxy.close();
                    impairedLinks = null;
                    notes.add(proxy.counts().describe());
                };
            }
            case FILL_DISK -> {
                target = chosenNode.name();
                heal = cluster.disks().fill(cluster.dataDirectory(chosenNode));
            }
            default -> throw new IllegalStateException("BUG: unhandled fault kind " + fault.kind());
        }
        log.println(String.format(java.util.Locale.ROOT, "nemesis: %7.1f s start %s on %s%s", started / 1e9, fault.kind().wireName(), target,
                notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")"));
        // Held for its full time even when asked to stop, so every fault in the record lasted as planned.
        TimeUnit.NANOSECONDS.sleep(Math.max(0, started + fault.holdFor().toNanos() - now()));
        heal.run();
        long healed = now();
        log.println(String.format(java.util.Locale.ROOT, "nemesis: %7.1f s healed %s on %s", healed / 1e9, fault.kind().wireName(), target));
        synchronized (applied) {
            applied.add(new Applied(fault, target, started, healed, String.join("; ", notes)));
        }
    }

    private Runnable kill(HostProcess process) throws InterruptedException {
        process.kill();
        return () -> {
            try {
                process.start();
            } catch (java.io.IOException e) {
                throw new IllegalStateException("could not restart " + process.name() + ": " + e.getMessage(), e);
            }
        };
    }

    private static Runnable pause(HostProcess process) {
        process.pause();
        return process::resume;
    }

    private Optional<HostProcess> controllerLeader(List<String> notes) {
        Optional<String> leader = admin.controllerLeader(0);
        Optional<HostProcess> process = leader.flatMap(name -> cluster.nodes().stream().filter(n -> n.name().equals(name)).findFirst());
        if (process.isEmpty()) {
            notes.add("no node named the controller leader (" + leader.orElse("none answered") + "); hit the seed's choice instead");
        }
        return process;
    }

    /** The node being drained; if none is, starts a drain of {@code fallback} (the seed's choice) first. */
    private HostProcess drainingNode(HostProcess fallback, List<String> notes) {
        Optional<String> draining = admin.nodeStates(0).flatMap(states -> states.stream().filter(s -> s.state().equals("draining")).findFirst())
                .map(Admin.NodeState::name);
        if (draining.isPresent()) {
            return cluster.nodes().stream().filter(n -> n.name().equals(draining.get())).findFirst().orElse(fallback);
        }
        boolean started = operator.drainNow(fallback.name());
        notes.add(started ? "no drain ran; drained " + fallback.name() + " first" : "no drain ran and draining " + fallback.name() + " was refused");
        return fallback;
    }

    /**
     * Routes every connection between {@code node} and the other nodes' Raft and HTTP ports, both ways,
     * through a new {@link LinkProxy}; on failure removes what it set up.
     */
    private LinkProxy impairLinks(HostProcess node, LinkImpairment impairment, long seed) throws java.io.IOException {
        HostNetwork network = cluster.network();
        LinkProxy proxy = network.openProxy(impairment, seed);
        impairedLinks = proxy;
        try {
            java.util.Map<HostNetwork.Host, List<HostNetwork.Redirect>> byHost = new java.util.LinkedHashMap<>();
            for (HostProcess other : cluster.nodes()) {
                if (other == node) {
                    continue;
                }
                for (int port : List.of(ChaosCluster.RAFT_PORT, ChaosCluster.HTTP_PORT)) {
                    byHost.computeIfAbsent(node.host(), h -> new ArrayList<>()).add(new HostNetwork.Redirect(other.host(), port,
                            proxy.route(new java.net.InetSocketAddress(other.host().address(), port))));
                    byHost.computeIfAbsent(other.host(), h -> new ArrayList<>()).add(new HostNetwork.Redirect(node.host(), port,
                            proxy.route(new java.net.InetSocketAddress(node.host().address(), port))));
                }
            }
            byHost.forEach(network::redirect);
        } catch (java.io.IOException | RuntimeException failed) {
            cluster.nodes().forEach(n -> cluster.network().heal(n.host()));
            proxy.close();
            impairedLinks = null;
            throw failed;
        }
        return proxy;
    }

    private static String modes(List<HostProcess> zooKeepers) {
        List<String> modes = new ArrayList<>();
        for (HostProcess zooKeeper : zooKeepers) {
            modes.add(zooKeeper.name() + " " + ChaosCluster.zooKeeperMode(zooKeeper).orElse("down"));
        }
        return String.join(", ", modes);
    }

    /** Undoes everything: removes every iptables rule and disk filler, resumes frozen processes, restarts dead ones. */
    void healEverything() throws java.io.IOException {
        cluster.network().healAll();
        cluster.disks().removeFillers();
        LinkProxy proxy = impairedLinks;
        if (proxy != null) {
            proxy.close();
            impairedLinks = null;
        }
        for (HostProcess process : cluster.allProcesses()) {
            if (process.paused()) {
                process.resume();
            }
            if (!process.alive()) {
                process.start();
            }
        }
    }

    /** By fault index: who led which partition just before the fault started. */
    Map<Integer, Leadership> leadersAtStart() {
        return Map.copyOf(leadersAtStart);
    }

    List<Applied> applied() {
        synchronized (applied) {
            return List.copyOf(applied);
        }
    }
}
