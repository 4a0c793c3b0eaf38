package dev.sluice.testkit.bench;

import dev.sluice.testkit.LocalTestCluster;

import dev.sluice.client.SluiceClientException;
import dev.sluice.client.Workload;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.raft.PartitionGroups;
import dev.sluice.raft.RatisSettings;
import dev.sluice.worker.KeyValueCommands;
import dev.sluice.worker.KeyValueLogic;
import dev.sluice.worker.PartitionStateMachine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The drain of {@link DrainBenchmark} done by bare Ratis, as a script would drive it: what Sluice's drain
 * costs on top of the data plane. Four Ratis servers in this JVM on loopback with the workers' settings
 * ({@link RatisSettings#defaults()}, gRPC), the workers' state machine ({@link PartitionStateMachine} with
 * {@link KeyValueLogic}), 24 partitions × 3 replicas placed round-robin (18 replicas and 6 leaders per
 * server, as Sluice's scheduler balances them), each filled like {@link DrainBenchmark} does, under the
 * same client workload ({@link DrainBenchmark#CLIENT_LOAD}) sent by a Ratis client that retries what
 * Ratis' own clients do not.
 *
 * <p>The drain moves every group off server N1, {@code concurrency} at a time. One move: add the group on
 * the new server with the current peers (so it waits passively to be staged), move leadership off N1 if
 * it leads, change the configuration to the new set (Ratis stages the new member), then remove the group
 * from N1 with its directory, in the background. The drain is done when every group left N1 and N1 holds
 * no group and no group directory — what Sluice requires before it disables a worker.
 *
 * <pre>
 * java -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.RatisDrainBaseline --mb 10 --concurrency 4 --runs 1 --seed 1
 * </pre>
 *
 * Not a test: it makes no assertion; its numbers depend on the machine and what else it runs.
 */
public final class RatisDrainBaseline {

    static final int SERVERS = 4;
    static final int PARTITIONS = DrainBenchmark.PARTITIONS;
    static final int REPLICAS = 3;
    static final NodeId DRAINED = NodeId.of(1);
    static final String CLUSTER_NAME = "ratis-baseline";
    static final String HOST = "127.0.0.1";

    /** As {@link DrainBenchmark}'s client: a write gives up after a minute of retries. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    /** One attempt of a data request, as the Sluice client's request timeout. */
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
    /** The longest any single admin call may wait for its reply; each step has its own deadline below it. */
    static final Duration ADMIN_RPC_TIMEOUT = Duration.ofMinutes(2);
    /** Group-info calls that find the leader: an unreachable member must not hold up a move. */
    static final Duration INFO_TIMEOUT = Duration.ofSeconds(3);
    static final Duration STEP_TIMEOUT = Duration.ofMinutes(2);
    static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(10);
    static final Duration STEP_RETRY_PAUSE = Duration.ofMillis(200);
    static final Duration SETUP_TIMEOUT = Duration.ofMinutes(3);
    static final Duration INITIAL_BACKOFF = Duration.ofMillis(20);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(1);
    /** Redirects to a suggested leader followed without backing off, as the Sluice client does. */
    static final int MAX_IMMEDIATE_REDIRECTS = 3;

    private RatisDrainBaseline() {}

    /** Removals from the drained server at once: what a Sluice worker runs (its reconciler's removal parallelism). */
    static final int REMOVAL_THREADS = 4;

    public static void main(String[] args) throws Exception {
        DrainRun.logToStandardError();
        DrainRun.Options options = DrainRun.Options.parse(args, List.of(10), List.of(4));
        DrainRun.measureAll(options, RatisDrainBaseline::run);
    }

    static DrainRun run(int megabytes, int concurrency, long seed) throws Exception {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        Path base = Files.createTempDirectory("sluice-ratis-baseline-");
        try (Servers servers = Servers.start(base); RatisStore store = new RatisStore(servers, seed)) {
            servers.createGroups();
            servers.balanceLeaders();
            DrainBenchmark.fill(store::putBytes, servers.table, megabytes, seed);

            Workload workload = new Workload(store, DrainBenchmark.CLIENT_LOAD);
            workload.phase("before");
            workload.start();
            Thread.sleep(DrainBenchmark.BEFORE.toMillis());

            workload.phase("during");
            Drain.Times times = new Drain(servers, concurrency).run(DrainBenchmark.DRAIN_TIMEOUT);
            workload.phase("after");
            workload.stop();
            Workload.Verification verification = workload.verify(store);
            System.out.println("client retries by cause: " + store.retriesByCause());
            return new DrainRun("ratis", megabytes, concurrency, seed, times.drainSeconds(), times.reactSeconds(), times.movingSeconds(),
                    times.tailSeconds(), times.moves(), times.leaderlessMillis(), workload.stats("before"), workload.stats("during"),
                    workload.errors(), verification.mismatchCount(), verification.ok());
        } finally {
            LocalTestCluster.deleteRecursively(base);
        }
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * The four servers, the groups' membership as the mover last set it, and the admin calls. Membership
     * and leader hints play the role of Sluice's placements for the client's routing.
     */
    static final class Servers implements AutoCloseable {

        final PartitionTable table = new PartitionTable(PARTITIONS, new ReplicationProperty(REPLICAS, 1));
        final PartitionGroups groups = new PartitionGroups(CLUSTER_NAME);
        final Map<NodeId, RaftServer> byNode = new TreeMap<>();
        final Map<NodeId, RaftPeer> peers = new TreeMap<>();
        final Map<NodeId, Path> storage = new TreeMap<>();
        final Map<PartitionId, List<NodeId>> members = new ConcurrentHashMap<>();
        final Map<PartitionId, NodeId> leaderHints = new ConcurrentHashMap<>();
        private final ClientId clientId = ClientId.randomId();
        private final AtomicLong callIds = new AtomicLong();
        private final RaftClientRpc adminRpc;
        private final RaftClientRpc infoRpc;

        private Servers() {
            GrpcFactory factory = new GrpcFactory(new Parameters());
            adminRpc = factory.newRaftClientRpc(ClientId.randomId(), RatisSettings.clientProperties(ADMIN_RPC_TIMEOUT));
            infoRpc = factory.newRaftClientRpc(ClientId.randomId(), RatisSettings.clientProperties(INFO_TIMEOUT));
        }

        static Servers start(Path base) throws IOException {
            Servers servers = new Servers();
            try {
                RatisSettings settings = RatisSettings.defaults();
                for (int i = 1; i <= SERVERS; i++) {
                    NodeId node = NodeId.of(i);
                    int port = freePort();
                    Path directory = Files.createDirectories(base.resolve(node.toString()));
                    RaftServer server = RaftServer.newBuilder()
                            .setServerId(PartitionGroups.peerId(node))
                            .setProperties(settings.serverProperties(directory, HOST, port))
                            .setStateMachineRegistry(servers::newStateMachine)
                            .setOption(RaftStorage.StartupOption.RECOVER)
                            .build();
                    server.start();
                    servers.byNode.put(node, server);
                    servers.storage.put(node, directory);
                    servers.peers.put(node, RaftPeer.newBuilder().setId(PartitionGroups.peerId(node)).setAddress(HOST + ":" + port).build());
                }
                return servers;
            } catch (IOException | RuntimeException failed) {
                servers.close();
                throw failed;
            }
        }

        private PartitionStateMachine newStateMachine(RaftGroupId groupId) {
            PartitionId partition = groups.partitionOf(groupId, PARTITIONS)
                    .orElseThrow(() -> new IllegalStateException("group " + groupId + " is none of the baseline's partitions"));
            return new PartitionStateMachine(partition, new KeyValueLogic());
        }

        /**
         * Partition p on servers p, p+1, p+2 (mod 4), led by the first: 18 replicas and 6 leaderships per
         * server, the balance Sluice's scheduler reaches for this cluster.
         */
        void createGroups() throws IOException {
            for (int p = 0; p < PARTITIONS; p++) {
                PartitionId partition = PartitionId.of(p);
                List<NodeId> set = new ArrayList<>();
                for (int r = 0; r < REPLICAS; r++) {
                    set.add(NodeId.of((p + r) % SERVERS + 1));
                }
                members.put(partition, List.copyOf(set));
                leaderHints.put(partition, set.getFirst());
                RaftGroup group = group(partition, set);
                for (NodeId member : set) {
                    RaftServer server = byNode.get(member);
                    RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(clientId, server.getId(), callIds.incrementAndGet(), group));
                    if (!reply.isSuccess()) {
                        throw new IOException("creating " + partition + " on " + member + " failed: " + reply.getException());
                    }
                }
            }
        }

        /** Ratis elects whoever times out first; move each leadership to the planned leader, as Sluice's controller does. */
        void balanceLeaders() throws InterruptedException {
            long deadline = System.nanoTime() + SETUP_TIMEOUT.toNanos();
            for (PartitionId partition : table.partitions()) {
                NodeId wanted = members.get(partition).getFirst();
                while (true) {
                    Optional<NodeId> leader = leaderOf(partition, members.get(partition));
                    if (leader.isPresent() && leader.get().equals(wanted)) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(partition + " has leader " + leader + ", not " + wanted + ", after " + SETUP_TIMEOUT);
                    }
                    if (leader.isPresent()) {
                        transferLeadership(partition, members.get(partition), leader.get(), wanted);
                    } else {
                        Thread.sleep(STEP_RETRY_PAUSE.toMillis());
                    }
                }
            }
        }

        RaftGroup group(PartitionId partition, List<NodeId> set) {
            return RaftGroup.valueOf(groups.groupId(partition), set.stream().map(peers::get).toList());
        }

        /** A client for one admin call over {@code rpc}; not closed, because closing it would close the shared RPC layer. */
        RaftClient adminClient(PartitionId partition, List<NodeId> set, NodeId target, RaftClientRpc rpc) {
            return RaftClient.newBuilder()
                    .setRaftGroup(group(partition, set))
                    .setProperties(RatisSettings.clientProperties(rpc == infoRpc ? INFO_TIMEOUT : ADMIN_RPC_TIMEOUT))
                    .setClientRpc(rpc)
                    .setLeaderId(PartitionGroups.peerId(target))
                    .setRetryPolicy(RetryPolicies.noRetry())
                    .build();
        }

        /** The member that reports itself leader with the highest term, asked over RPC as a separate tool would. */
        Optional<NodeId> leaderOf(PartitionId partition, List<NodeId> set) {
            NodeId leader = null;
            long leaderTerm = -1;
            for (NodeId member : set) {
                try {
                    GroupInfoReply info = adminClient(partition, set, member, infoRpc).getGroupManagementApi(PartitionGroups.peerId(member))
                            .info(groups.groupId(partition));
                    if (info.isSuccess() && info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
                        long term = info.getRoleInfoProto().getLeaderInfo().getTerm();
                        if (term > leaderTerm) {
                            leader = member;
                            leaderTerm = term;
                        }
                    }
                } catch (IOException | RuntimeException unreachableOrAbsent) {
                    // Not this one.
                }
            }
            return Optional.ofNullable(leader);
        }

        /** One transfer call; returns whether it succeeded. The client's RPC timeout outlives the transfer's, so it is never re-sent while pending. */
        boolean transferLeadership(PartitionId partition, List<NodeId> set, NodeId from, NodeId to) {
            try {
                RaftClientReply reply = adminClient(partition, set, from, adminRpc).admin()
                        .transferLeadership(PartitionGroups.peerId(to), TRANSFER_TIMEOUT.toMillis());
                if (reply.isSuccess()) {
                    leaderHints.put(partition, to);
                    return true;
                }
                return false;
            } catch (IOException | RuntimeException failed) {
                return false;
            }
        }

        boolean hostsAnyGroup(NodeId node) throws IOException {
            if (byNode.get(node).getGroupIds().iterator().hasNext()) {
                return true;
            }
            for (PartitionId partition : table.partitions()) {
                if (Files.exists(storage.get(node).resolve(groups.groupId(partition).getUuid().toString()))) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() {
            // Closing servers that still talk to each other makes Ratis log every cancelled stream at WARN and ERROR.
            ch.qos.logback.classic.Logger ratisLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.apache.ratis");
            ch.qos.logback.classic.Level level = ratisLog.getLevel();
            ratisLog.setLevel(ch.qos.logback.classic.Level.OFF);
            try {
                stopAll();
            } finally {
                ratisLog.setLevel(level);
            }
        }

        private void stopAll() {
            List<Thread> stopping = new ArrayList<>();
            for (RaftServer server : byNode.values()) {
                stopping.add(Thread.ofPlatform().name("stop-" + server.getId()).start(() -> {
                    try {
                        server.close();
                    } catch (IOException | RuntimeException ignored) {
                        // Stopping everything anyway.
                    }
                }));
            }
            for (Thread thread : stopping) {
                try {
                    thread.join(Duration.ofSeconds(30));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            for (RaftClientRpc rpc : List.of(adminRpc, infoRpc)) {
                try {
                    rpc.close();
                } catch (IOException | RuntimeException ignored) {
                    // Closing anyway.
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Moves every group off {@link #DRAINED}, {@code concurrency} at a time, and waits until it holds nothing. */
    static final class Drain {

        /** The outcome; phases as in {@link DrainRun}. */
        record Times(double drainSeconds, double reactSeconds, double movingSeconds, double tailSeconds, int moves, long[] leaderlessMillis) {}

        /** A planned move of one replica off the drained server. */
        record Move(PartitionId partition, NodeId target) {}

        private final Servers servers;
        private final int concurrency;
        private final AtomicLong firstStarted = new AtomicLong(Long.MAX_VALUE);
        private final AtomicLong lastConfigured = new AtomicLong(Long.MIN_VALUE);
        private final Map<PartitionId, Long> leaderlessMillis = new ConcurrentSkipListMap<>();

        Drain(Servers servers, int concurrency) {
            this.servers = servers;
            this.concurrency = concurrency;
        }

        /**
         * Each replica goes to the server that holds the fewest replicas once the moves planned before it are
         * counted, ties taken round-robin over the other servers: the balance Sluice's scheduler aims for.
         * With 4 servers and 3 replicas only one server lacks each group, so the choice is forced. (With more
         * servers this one pass can leave two of them two replicas apart; the baseline does not need more.)
         */
        static List<Move> plan(Map<PartitionId, List<NodeId>> members, Collection<NodeId> servers, NodeId drained) {
            Map<NodeId, Integer> replicas = new TreeMap<>();
            servers.forEach(node -> replicas.put(node, 0));
            members.values().forEach(set -> set.forEach(node -> replicas.merge(node, 1, Integer::sum)));
            List<NodeId> others = servers.stream().filter(node -> !node.equals(drained)).sorted().toList();
            List<Move> moves = new ArrayList<>();
            int cursor = 0;
            for (PartitionId partition : new TreeMap<>(members).keySet()) {
                List<NodeId> set = members.get(partition);
                if (!set.contains(drained)) {
                    continue;
                }
                NodeId best = null;
                int bestIndex = -1;
                for (int k = 0; k < others.size(); k++) {
                    int index = (cursor + k) % others.size();
                    NodeId candidate = others.get(index);
                    if (!set.contains(candidate) && (best == null || replicas.get(candidate) < replicas.get(best))) {
                        best = candidate;
                        bestIndex = index;
                    }
                }
                if (best == null) {
                    throw new IllegalStateException(partition + " has no server to move to");
                }
                replicas.merge(best, 1, Integer::sum);
                replicas.merge(drained, -1, Integer::sum);
                cursor = (bestIndex + 1) % others.size();
                moves.add(new Move(partition, best));
            }
            return moves;
        }

        Times run(Duration timeout) throws Exception {
            long requested = System.nanoTime();
            long deadline = requested + timeout.toNanos();
            List<Move> moves = plan(servers.members, servers.byNode.keySet(), DRAINED);
            ExecutorService movers = Executors.newFixedThreadPool(concurrency, Thread.ofPlatform().name("baseline-mover-", 0).daemon().factory());
            // As many removals at once as a Sluice worker runs (GroupReconciler.REMOVAL_PARALLELISM), so the tail
            // compares like with like.
            ExecutorService remover = Executors.newFixedThreadPool(REMOVAL_THREADS, Thread.ofPlatform().name("baseline-remover-", 0).daemon().factory());
            try {
                List<Future<Future<?>>> moved = new ArrayList<>();
                for (Move move : moves) {
                    moved.add(movers.submit(() -> {
                        move(move, deadline);
                        return remover.submit(() -> {
                            remove(move.partition(), deadline);
                            return null;
                        });
                    }));
                }
                List<Future<?>> removals = new ArrayList<>();
                for (Future<Future<?>> future : moved) {
                    removals.add(future.get(remainingMillis(deadline), TimeUnit.MILLISECONDS));
                }
                for (Future<?> removal : removals) {
                    removal.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
                }
                while (servers.hostsAnyGroup(DRAINED)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(DRAINED + " still holds groups or their directories after " + timeout);
                    }
                    Thread.sleep(10);
                }
                long done = System.nanoTime();
                return new Times(seconds(done - requested), seconds(firstStarted.get() - requested), seconds(lastConfigured.get() - firstStarted.get()),
                        seconds(done - lastConfigured.get()), moves.size(),
                        leaderlessMillis.values().stream().mapToLong(Long::longValue).sorted().toArray());
            } finally {
                movers.shutdownNow();
                remover.shutdownNow();
            }
        }

        private void move(Move move, long drainDeadline) throws InterruptedException, IOException {
            firstStarted.accumulateAndGet(System.nanoTime(), Math::min);
            PartitionId partition = move.partition();
            long deadline = Math.min(drainDeadline, System.nanoTime() + STEP_TIMEOUT.toNanos());
            List<NodeId> current = servers.members.get(partition);
            List<NodeId> next = new ArrayList<>(current.stream().filter(node -> !node.equals(DRAINED)).toList());
            next.add(move.target());
            next.sort(null);
            List<NodeId> everyone = new ArrayList<>(current);
            everyone.add(move.target());

            // The new member gets the group with the current peers, so it waits to be staged instead of campaigning.
            addGroup(partition, current, move.target(), deadline);

            if (awaitLeader(partition, current, deadline).equals(DRAINED)) {
                NodeId to = leastLeading(next.stream().filter(current::contains).toList());
                long started = System.nanoTime();
                while (!servers.transferLeadership(partition, current, DRAINED, to)) {
                    if (!awaitLeader(partition, current, deadline).equals(DRAINED)) {
                        break;
                    }
                    pause(deadline, partition + ": leadership did not leave " + DRAINED);
                }
                leaderlessMillis.put(partition, (System.nanoTime() - started) / 1_000_000);
            }

            while (true) {
                NodeId at = awaitLeader(partition, everyone, deadline);
                try {
                    RaftClientReply reply = servers.adminClient(partition, everyone, at, servers.adminRpc).admin()
                            .setConfiguration(next.stream().map(servers.peers::get).toList());
                    if (reply.isSuccess()) {
                        break;
                    }
                } catch (IOException | RuntimeException inProgressOrNotLeader) {
                    // Our own earlier attempt still finishing, or leadership moved: ask again.
                }
                pause(deadline, partition + ": configuration did not become " + next);
            }
            servers.members.put(partition, List.copyOf(next));
            lastConfigured.accumulateAndGet(System.nanoTime(), Math::max);
        }

        private void addGroup(PartitionId partition, List<NodeId> current, NodeId target, long deadline) throws InterruptedException {
            while (true) {
                try {
                    RaftClientReply reply = servers.adminClient(partition, List.of(target), target, servers.adminRpc)
                            .getGroupManagementApi(PartitionGroups.peerId(target)).add(servers.group(partition, current));
                    if (reply.isSuccess()) {
                        return;
                    }
                } catch (AlreadyExistsException exists) {
                    return;
                } catch (IOException | RuntimeException failed) {
                    // Try again below.
                }
                pause(deadline, partition + ": could not add the group on " + target);
            }
        }

        /** Removes the group from the drained server with its directory; the server forgetting it first counts as removed. */
        private void remove(PartitionId partition, long deadline) throws InterruptedException {
            while (true) {
                try {
                    RaftClientReply reply = servers.adminClient(partition, List.of(DRAINED), DRAINED, servers.adminRpc)
                            .getGroupManagementApi(PartitionGroups.peerId(DRAINED)).remove(servers.groups.groupId(partition), true, false);
                    if (reply.isSuccess() || reply.getException() instanceof GroupMismatchException) {
                        return;
                    }
                } catch (GroupMismatchException gone) {
                    return;
                } catch (IOException | RuntimeException failed) {
                    // Try again below.
                }
                pause(deadline, partition + ": could not remove the group from " + DRAINED);
            }
        }

        private NodeId awaitLeader(PartitionId partition, List<NodeId> set, long deadline) throws InterruptedException {
            while (true) {
                Optional<NodeId> leader = servers.leaderOf(partition, set);
                if (leader.isPresent()) {
                    return leader.get();
                }
                pause(deadline, partition + ": no leader among " + set);
            }
        }

        private NodeId leastLeading(List<NodeId> candidates) {
            Map<NodeId, Long> leaderships = new TreeMap<>();
            servers.leaderHints.values().forEach(node -> leaderships.merge(node, 1L, Long::sum));
            return candidates.stream().min(Comparator.comparing((NodeId node) -> leaderships.getOrDefault(node, 0L))
                    .thenComparing(Comparator.naturalOrder())).orElseThrow();
        }

        private static void pause(long deadline, String whatFailed) throws InterruptedException {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(whatFailed + " before the deadline");
            }
            Thread.sleep(STEP_RETRY_PAUSE.toMillis());
        }

        private static long remainingMillis(long deadline) {
            return Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        }

        private static double seconds(long nanos) {
            return nanos / 1e9;
        }
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * The workload's store over a Ratis client: a key goes to its partition's group (by the same table as
     * Sluice), first to the leader the mover last knew. Ratis' blocking client follows neither a leader that
     * is stepping down nor a group that left the server it asked, so every transient failure is retried
     * here with the Sluice client's backoff, until {@link #CALL_TIMEOUT}.
     */
    static final class RatisStore implements Workload.KeyValueStore, AutoCloseable {

        /**
         * A not-leader answer names the leader and the Ratis client switches to it by itself: let it, a few
         * times without sleeping, as the Sluice client follows redirects. A failure it reports as an exception
         * (stepping down, group mismatch, timeout…) comes back to {@link #call}, which backs off.
         */
        private static final RetryPolicy FOLLOW_NOT_LEADER = event -> event.getCause() == null && event.getAttemptCount() <= MAX_IMMEDIATE_REDIRECTS
                ? RetryPolicy.RETRY_WITHOUT_SLEEP_ACTION : RetryPolicy.NO_RETRY_ACTION;

        private final Servers servers;
        private final RaftClientRpc rpc;
        private final SplittableRandom random;
        private final Map<String, AtomicLong> retriesByCause = new ConcurrentSkipListMap<>();

        RatisStore(Servers servers, long seed) {
            this.servers = servers;
            this.rpc = new GrpcFactory(new Parameters()).newRaftClientRpc(ClientId.randomId(), RatisSettings.clientProperties(ATTEMPT_TIMEOUT));
            this.random = new SplittableRandom(seed);
        }

        @Override
        public void put(String key, String value) {
            putBytes(key, value.getBytes(StandardCharsets.UTF_8));
        }

        void putBytes(String key, byte[] value) {
            call(key, KeyValueCommands.put(key.getBytes(StandardCharsets.UTF_8), value), true);
        }

        @Override
        public void close() {
            try {
                rpc.close();
            } catch (IOException | RuntimeException ignored) {
                // Closing anyway.
            }
        }

        @Override
        public Optional<String> getString(String key) {
            byte[] reply = call(key, KeyValueCommands.get(key.getBytes(StandardCharsets.UTF_8)), false);
            return KeyValueCommands.decodeGetReply(reply).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        }

        Map<String, Long> retriesByCause() {
            Map<String, Long> counts = new TreeMap<>();
            retriesByCause.forEach((cause, count) -> counts.put(cause, count.get()));
            return counts;
        }

        private byte[] call(String key, byte[] payload, boolean write) {
            PartitionId partition = servers.table.partitionOf(key);
            long deadline = System.nanoTime() + CALL_TIMEOUT.toNanos();
            int redirectsInARow = 0;
            int backoffAttempt = 0;
            String lastProblem = "no attempt made";
            for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
                List<NodeId> set = servers.members.get(partition);
                NodeId target = servers.leaderHints.getOrDefault(partition, set.get(attempt % set.size()));
                if (!set.contains(target)) {
                    target = set.get(attempt % set.size());
                }
                Throwable failure;
                try {
                    RaftClient client = RaftClient.newBuilder()
                            .setRaftGroup(servers.group(partition, set))
                            .setProperties(RatisSettings.clientProperties(ATTEMPT_TIMEOUT))
                            .setClientRpc(rpc)
                            .setLeaderId(PartitionGroups.peerId(target))
                            .setRetryPolicy(FOLLOW_NOT_LEADER)
                            .build();
                    Message message = Message.valueOf(ByteString.copyFrom(payload));
                    RaftClientReply reply = write ? client.io().send(message) : client.io().sendReadOnly(message);
                    if (reply.isSuccess()) {
                        NodeId answered = PartitionGroups.nodeId(reply.getServerId());
                        if (!answered.equals(target)) {
                            count("NotLeaderException (followed by the Ratis client)");
                        }
                        servers.leaderHints.put(partition, answered);
                        return reply.getMessage().getContent().toByteArray();
                    }
                    failure = reply.getException();
                } catch (IOException | RuntimeException thrown) {
                    failure = thrown;
                }
                StateMachineException refused = find(failure, StateMachineException.class);
                if (refused != null) {
                    throw new SluiceClientException(SluiceClientException.Code.REJECTED, partition + " refused '" + key + "': " + refused.getMessage(), refused);
                }
                String cause = causeName(failure);
                count(cause);
                lastProblem = target + ": " + cause;
                NotLeaderException notLeader = find(failure, NotLeaderException.class);
                RaftPeer suggested = notLeader == null ? null : notLeader.getSuggestedLeader();
                if (suggested != null && !suggested.getId().equals(PartitionGroups.peerId(target)) && redirectsInARow < MAX_IMMEDIATE_REDIRECTS) {
                    servers.leaderHints.put(partition, PartitionGroups.nodeId(suggested.getId()));
                    redirectsInARow++;
                    continue;
                }
                servers.leaderHints.remove(partition, target);
                redirectsInARow = 0;
                backOff(++backoffAttempt, deadline);
            }
            throw new SluiceClientException(SluiceClientException.Code.DEADLINE_EXCEEDED,
                    "the " + (write ? "write" : "read") + " of '" + key + "' (" + partition + ") did not succeed within " + CALL_TIMEOUT + "; last problem: " + lastProblem);
        }

        private void count(String cause) {
            retriesByCause.computeIfAbsent(cause, c -> new AtomicLong()).incrementAndGet();
        }

        private void backOff(int attempt, long deadline) {
            long ceiling = Math.min(MAX_BACKOFF.toNanos(), INITIAL_BACKOFF.toNanos() << Math.min(attempt - 1, 30));
            long delay;
            synchronized (random) {
                delay = random.nextLong(ceiling + 1);
            }
            long sleep = Math.min(delay, Math.max(0, deadline - System.nanoTime()));
            try {
                Thread.sleep(Duration.ofNanos(sleep));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new SluiceClientException(SluiceClientException.Code.INTERRUPTED, "interrupted while backing off", interrupted);
            }
        }

        /** The most specific Ratis exception in the chain, for the retry count by cause. */
        private static String causeName(Throwable failure) {
            if (failure instanceof RaftRetryFailureException) {
                // What FOLLOW_NOT_LEADER gave up on. Without a cause they were answers, not exceptions, so nothing says which.
                return failure.getCause() == null ? "NotLeader or LeaderNotReady answers after following " + MAX_IMMEDIATE_REDIRECTS
                        : "gave up after following " + MAX_IMMEDIATE_REDIRECTS + ": " + causeName(failure.getCause());
            }
            String name = failure == null ? "unknown" : failure.getClass().getSimpleName();
            for (Throwable t = failure; t != null; t = t.getCause()) {
                if (t.getClass().getName().startsWith("org.apache.ratis.protocol.exceptions")) {
                    name = t.getClass().getSimpleName();
                }
                if (t.getCause() == t) {
                    break;
                }
            }
            return name;
        }

        private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                if (type.isInstance(t)) {
                    return type.cast(t);
                }
                if (t.getCause() == t) {
                    break;
                }
            }
            return null;
        }
    }

    // ---------------------------------------------------------------------------------------------

    static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
    }
}
