package dev.sluice.metadata;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * ZooKeeper access control against a real (embedded) ZooKeeper server: what a secured store creates, what
 * strangers cannot do to it, securing an open cluster's tree while it runs, rotating the secret, and the
 * secret staying out of logs and messages.
 */
class ZooKeeperAccessControlTest {

    private static final String ROOT = "/sluice/acl-test";
    private static final String USER = "acl-test";
    private static final String SECRET = "s3cret-0f-the-cluster-4242";
    private static final String OTHER_SECRET = "an0ther-s3cret-entirely-77";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path directory;

    private EmbeddedZooKeeper zooKeeper;
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeEach
    void startZooKeeper() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(directory.resolve("zookeeper"), 0);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : closeAfter.reversed()) {
            closeable.close();
        }
        zooKeeper.close();
    }

    static Path writeSecret(Path file, String... secrets) throws Exception {
        Files.writeString(file, String.join("\n", secrets) + "\n", UTF_8);
        return file;
    }

    private ZooKeeperIdentity identity(String name, String... secrets) throws Exception {
        return ZooKeeperIdentity.fromSecretFile(USER, writeSecret(directory.resolve(name), secrets));
    }

    private ZooKeeperMetadataStore store(ZooKeeperAccess access) {
        ZooKeeperMetadataStore store = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), ROOT, TIMEOUT, TIMEOUT, access);
        closeAfter.add(store);
        return store;
    }

    /** A plain Curator client: no credentials, or the given digest credential. */
    private CuratorFramework rawClient(String digestUserAndPassword) throws InterruptedException {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder().connectString(zooKeeper.connectString()).retryPolicy(new RetryOneTime(100));
        if (digestUserAndPassword != null) {
            builder.authorization("digest", digestUserAndPassword.getBytes(UTF_8));
        }
        CuratorFramework client = builder.build();
        client.start();
        assertThat(client.blockUntilConnected(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        closeAfter.add(client);
        return client;
    }

    /** Uses every way the store creates nodes: transactions, nested keys, logs, ephemerals, an election, watches. */
    private static void exercise(ZooKeeperMetadataStore store) throws Exception {
        store.put(MetadataKeys.NODES, "nodes-configuration".getBytes(UTF_8), Precondition.DOES_NOT_EXIST);
        store.commit(List.of(Op.put(PlacementLayout.BUCKETED.key(PartitionId.of(0)), "placement-0".getBytes(UTF_8), Precondition.NONE),
                Op.append(MetadataKeys.EVENTS, "event".getBytes(UTF_8)), Op.append(MetadataKeys.AUDIT, "audit".getBytes(UTF_8))));
        store.put("deeply/nested/key", "x".getBytes(UTF_8), Precondition.NONE);
        store.putEphemeral(MetadataKeys.liveness(NodeId.of(1)), "alive".getBytes(UTF_8));
        LeaderElection election = store.elect(MetadataKeys.CONTROLLER + "/election", "node-1");
        assertThat(election.awaitLeadership(TIMEOUT)).isTrue();
        List<String> seen = new CopyOnWriteArrayList<>();
        store.watch(MetadataKeys.PLACEMENTS, true, new WatchListener() {
            @Override
            public void onChange(String key, Optional<Versioned> value) {
                seen.add(key);
            }
        });
        store.put(PlacementLayout.BUCKETED.key(PartitionId.of(1)), "placement-1".getBytes(UTF_8), Precondition.NONE);
        await().atMost(TIMEOUT).until(() -> seen.contains(PlacementLayout.BUCKETED.key(PartitionId.of(1))));
    }

    @Test
    void aSecuredStoreGivesEveryNodeItCreatesOnlyTheClusterAcl() throws Exception {
        ZooKeeperIdentity identity = identity("secret", SECRET);
        ZooKeeperMetadataStore store = store(ZooKeeperAccess.secured(identity));
        exercise(store);

        Map<String, List<ACL>> acls = ZooKeeperTrees.aclsUnder(rawClient(USER + ":" + SECRET), ROOT);
        assertThat(acls.keySet()).contains(ROOT, ROOT + "/nodes", ROOT + "/placements/b0/P0", ROOT + "/liveness/N1", ROOT + "/deeply/nested",
                ROOT + "/controller/election");
        assertThat(acls.keySet()).anyMatch(path -> path.startsWith(ROOT + "/events/"))
                .anyMatch(path -> path.startsWith(ROOT + "/controller/election/"));
        assertThat(acls).allSatisfy((path, acl) -> assertThat(acl).as(path).containsExactlyElementsOf(identity.acl()));
        assertThat(identity.acl()).singleElement().satisfies(entry -> {
            assertThat(entry.getPerms()).isEqualTo(ZooDefs.Perms.ALL);
            assertThat(entry.getId().getId()).startsWith(USER + ":").doesNotContain(SECRET);
        });
        // The parent another cluster may share: the identity may do all, anyone else only create a sibling root.
        assertThat(rawClient(USER + ":" + SECRET).getACL().forPath("/sluice"))
                .containsExactlyInAnyOrder(identity.acl().getFirst(), new ACL(ZooDefs.Perms.CREATE, ZooDefs.Ids.ANYONE_ID_UNSAFE));
    }

    @Test
    void strangersCanNeitherReadNorChangeNorDeleteAndNothingChanges() throws Exception {
        ZooKeeperMetadataStore store = store(ZooKeeperAccess.secured(identity("secret", SECRET)));
        exercise(store);
        String nodes = ROOT + "/" + MetadataKeys.NODES;
        String placement = ROOT + "/" + PlacementLayout.BUCKETED.key(PartitionId.of(0));
        CuratorFramework owner = rawClient(USER + ":" + SECRET);
        Map<String, Snapshot> before = snapshot(owner, List.of(ROOT, nodes, placement, ROOT + "/" + MetadataKeys.PLACEMENTS));

        for (CuratorFramework stranger : List.of(rawClient(null), rawClient(USER + ":" + OTHER_SECRET), rawClient("intruder:" + SECRET))) {
            assertRefused(() -> stranger.create().forPath(ROOT + "/intruder", "x".getBytes(UTF_8)));
            assertRefused(() -> stranger.create().forPath(ROOT + "/placements/P99", "x".getBytes(UTF_8)));
            assertRefused(() -> stranger.create().withMode(CreateMode.EPHEMERAL).forPath(ROOT + "/liveness/N9", "x".getBytes(UTF_8)));
            assertRefused(() -> stranger.setData().forPath(nodes, "forged".getBytes(UTF_8)));
            assertRefused(() -> stranger.setData().forPath(placement, "forged".getBytes(UTF_8)));
            assertRefused(() -> stranger.delete().forPath(placement));
            assertRefused(() -> stranger.delete().deletingChildrenIfNeeded().forPath(ROOT + "/" + MetadataKeys.PLACEMENTS));
            assertRefused(() -> stranger.getData().forPath(nodes));
            assertRefused(() -> stranger.getChildren().forPath(ROOT));
            assertRefused(() -> stranger.setACL().withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(nodes));
            assertRefused(() -> stranger.getACL().forPath(nodes));
        }

        assertThat(snapshot(owner, before.keySet())).isEqualTo(before);
        assertThat(owner.checkExists().forPath(ROOT + "/intruder")).isNull();
        // The cluster keeps working with its identity.
        long version = store.get(MetadataKeys.NODES).orElseThrow().version();
        assertThat(store.put(MetadataKeys.NODES, "next".getBytes(UTF_8), Precondition.matchesVersion(version))).isEqualTo(version + 1);
    }

    private record Snapshot(String data, int version, int aclVersion, int childrenVersion) {}

    private static Map<String, Snapshot> snapshot(CuratorFramework client, java.util.Collection<String> paths) throws Exception {
        Map<String, Snapshot> snapshot = new LinkedHashMap<>();
        for (String path : paths) {
            Stat stat = new Stat();
            byte[] data = client.getData().storingStatIn(stat).forPath(path);
            snapshot.put(path, new Snapshot(new String(data, UTF_8), stat.getVersion(), stat.getAversion(), stat.getCversion()));
        }
        return snapshot;
    }

    private static void assertRefused(ThrowingCall call) {
        assertThatThrownBy(call::run).isInstanceOf(KeeperException.NoAuthException.class);
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void aProcessWithoutTheSecretOrWithAnotherIsRefusedAtConnectWithAClearMessage() throws Exception {
        store(ZooKeeperAccess.secured(identity("secret", SECRET))).put(MetadataKeys.NODES, "x".getBytes(UTF_8), Precondition.NONE);

        assertThatThrownBy(() -> store(ZooKeeperAccess.OPEN))
                .isInstanceOf(MetadataAccessDeniedException.class)
                .hasMessage("ZooKeeper refuses this process access to " + ROOT + ": the cluster's tree is secured: give this process the cluster's secret"
                        + " (--zookeeper-secret-file)");
        ZooKeeperIdentity wrong = identity("wrong", OTHER_SECRET);
        assertThatThrownBy(() -> store(ZooKeeperAccess.secured(wrong)))
                .isInstanceOf(MetadataAccessDeniedException.class)
                .hasMessage("ZooKeeper refuses this process access to " + ROOT + ": the cluster's tree grants another identity: is " + wrong.source()
                        + " the cluster's secret file, and is the cluster name right?");
    }

    /** Clusters on one ensemble share {@code /sluice}: each creates its root there, and neither can use the other's tree. */
    @Test
    void anotherClusterWithItsOwnSecretCreatesItsRootBesideThisOneAndCannotUseIt() throws Exception {
        store(ZooKeeperAccess.secured(identity("secret", SECRET))).put(MetadataKeys.NODES, "first".getBytes(UTF_8), Precondition.NONE);
        ZooKeeperIdentity other = ZooKeeperIdentity.fromSecretFile("other", writeSecret(directory.resolve("other"), OTHER_SECRET));
        try (ZooKeeperMetadataStore otherCluster = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), "/sluice/other", TIMEOUT, TIMEOUT,
                ZooKeeperAccess.secured(other))) {
            otherCluster.put(MetadataKeys.NODES, "second".getBytes(UTF_8), Precondition.NONE);
            assertThat(otherCluster.get(MetadataKeys.NODES).orElseThrow().value()).isEqualTo("second".getBytes(UTF_8));
        }
        CuratorFramework asOther = rawClient("other:" + OTHER_SECRET);
        assertRefused(() -> asOther.getData().forPath(ROOT + "/" + MetadataKeys.NODES));
        assertRefused(() -> asOther.delete().forPath(ROOT + "/" + MetadataKeys.NODES));
        assertThat(asOther.getACL().forPath("/sluice/other")).isEqualTo(other.acl());
    }

    @Test
    void aBadSecretFileIsRefusedWithAMessageNamingTheFileButNotItsContent() throws Exception {
        Path missing = directory.resolve("missing");
        Path empty = writeSecret(directory.resolve("empty"), "", "   ");
        Path tooShort = writeSecret(directory.resolve("short"), "tiny-secret");
        Path tooMany = writeSecret(directory.resolve("many"), SECRET, OTHER_SECRET, SECRET + "x");
        Path notText = Files.write(directory.resolve("binary"), new byte[] {(byte) 0xC3, (byte) 0x28, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p'});
        Path aDirectory = Files.createDirectories(directory.resolve("a-directory"));
        Path huge = Files.writeString(directory.resolve("huge"), SECRET.repeat(500));

        assertBad(missing, "the ZooKeeper secret file " + missing + " does not exist");
        assertBad(empty, "the ZooKeeper secret file " + empty + " is empty; it holds the cluster's secret on its first line");
        assertBad(tooShort, "the ZooKeeper secret file " + tooShort + " has a secret of 11 characters on line 1; a secret needs at least 16 (sluice local writes 64 random hex digits)");
        assertBad(tooMany, "the ZooKeeper secret file " + tooMany + " holds 3 secrets; at most 2 (the current one, and the previous one during a rotation)");
        assertBad(notText, "the ZooKeeper secret file " + notText + " is not UTF-8 text");
        assertBad(aDirectory, "the ZooKeeper secret file " + aDirectory + " is not a regular file");
        assertBad(huge, "the ZooKeeper secret file " + huge + " holds " + Files.size(huge) + " bytes; a secret file holds a line or two (at most 4096 bytes)");
        Path unreadable = writeSecret(directory.resolve("unreadable"), SECRET);
        Files.setPosixFilePermissions(unreadable, java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
        if (!Files.isReadable(unreadable)) {
            // Only where permissions bind: the build machines run tests as root, which reads any file.
            assertBad(unreadable, "cannot read the ZooKeeper secret file " + unreadable + " (AccessDeniedException)");
        }

        ZooKeeperIdentity identity = identity("good", "  " + SECRET + "  ", "", OTHER_SECRET);
        assertThat(identity.secretCount()).isEqualTo(2);
        assertThat(identity.toString()).isEqualTo("digest user 'acl-test' (2 secrets from " + directory.resolve("good") + ")").doesNotContain(SECRET);
        assertThat(ZooKeeperAccess.secured(identity).toString()).doesNotContain(SECRET).doesNotContain(OTHER_SECRET);
    }

    private static void assertBad(Path file, String message) {
        assertThatThrownBy(() -> ZooKeeperIdentity.fromSecretFile(USER, file)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void theSecretAppearsInNoLogLineAndNoErrorMessage() throws Exception {
        Logger rootLogger = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Map<Logger, Level> levels = new LinkedHashMap<>();
        for (String name : List.of(org.slf4j.Logger.ROOT_LOGGER_NAME, "org.apache.zookeeper", "org.apache.curator", "dev.sluice")) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            levels.put(logger, logger.getLevel());
            logger.setLevel(Level.TRACE);
        }
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        rootLogger.addAppender(logged);
        List<String> messages = new ArrayList<>();
        try {
            ZooKeeperIdentity identity = identity("secret", SECRET);
            // An open tree first, so that the store warns about it and the securer has work to do.
            store(ZooKeeperAccess.OPEN).put("made-while-open", "x".getBytes(UTF_8), Precondition.NONE);
            ZooKeeperMetadataStore store = store(ZooKeeperAccess.secured(identity));
            exercise(store);
            assertThat(ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), ROOT, identity, TIMEOUT, false)).isInstanceOf(ZooKeeperTreeSecurer.Outcome.Secured.class);
            Consumer<Throwable> record = failure -> {
                for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                    messages.add(String.valueOf(cause.getMessage()));
                }
            };
            ZooKeeperIdentity wrong = identity("wrong", OTHER_SECRET);
            try {
                store(ZooKeeperAccess.secured(wrong));
            } catch (MetadataAccessDeniedException expected) {
                record.accept(expected);
            }
            messages.add(ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), ROOT, wrong, TIMEOUT, false).toString());
            try {
                ZooKeeperIdentity.fromSecretFile(USER, writeSecret(directory.resolve("short"), "short" + SECRET.substring(0, 5)));
            } catch (IllegalArgumentException expected) {
                record.accept(expected);
            }
        } finally {
            rootLogger.detachAppender(logged);
            levels.forEach(Logger::setLevel);
        }
        assertThat(logged.list).as("captured at TRACE").hasSizeGreaterThan(10);
        assertThat(logged.list).anySatisfy(event -> assertThat(event.getFormattedMessage()).contains("is open"));
        // Curator prints its AuthInfo's bytes as a list of numbers: look for that form too.
        String secretAsBytes = java.util.Arrays.toString(SECRET.getBytes(UTF_8)).replaceAll("^\\[|\\]$", "");
        for (ILoggingEvent event : logged.list) {
            String line = event.getFormattedMessage() + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            assertThat(line).doesNotContain(SECRET).doesNotContain(OTHER_SECRET).doesNotContain(secretAsBytes);
        }
        assertThat(messages).hasSizeGreaterThanOrEqualTo(3).allSatisfy(message -> assertThat(message).doesNotContain(SECRET).doesNotContain(OTHER_SECRET)
                .doesNotContain(SECRET.substring(0, 5)));
    }

    /**
     * The documented migration of a running open cluster: restart every process with the secret (an authenticated
     * client can still use the open tree), then secure the tree; the securer refuses while a process without the
     * secret still runs, and a rerun changes nothing.
     */
    @Test
    void anOpenClusterIsSecuredWhileItRunsAndRerunningChangesNothing() throws Exception {
        ZooKeeperMetadataStore openNode = store(ZooKeeperAccess.OPEN);
        exercise(openNode);
        ZooKeeperMetadataStore stillOpen = store(ZooKeeperAccess.OPEN);
        EphemeralKey stillOpenLiveness = stillOpen.putEphemeral(MetadataKeys.liveness(NodeId.of(2)), "alive".getBytes(UTF_8));
        CuratorFramework stranger = rawClient(null);
        assertThat(stranger.getACL().forPath(ROOT + "/nodes")).isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);
        // Reads every node, open or secured, as the securer itself does.
        CuratorFramework owner = rawClient(USER + ":" + SECRET);

        // Step 1: node 1 restarts with the secret, on the tree as it is.
        openNode.close();
        ZooKeeperIdentity identity = identity("secret", SECRET);
        ZooKeeperMetadataStore securedNode = store(ZooKeeperAccess.secured(identity));
        await().atMost(TIMEOUT).until(() -> securedNode.get(MetadataKeys.liveness(NodeId.of(1))).isEmpty());
        securedNode.putEphemeral(MetadataKeys.liveness(NodeId.of(1)), "alive again".getBytes(UTF_8));
        LeaderElection election = securedNode.elect(MetadataKeys.CONTROLLER + "/election", "node-1");
        assertThat(election.awaitLeadership(TIMEOUT)).isTrue();
        long nodesVersion = securedNode.put(MetadataKeys.NODES, "written with the secret".getBytes(UTF_8), Precondition.NONE);

        // Node 2 still runs without the secret: securing now would lock it out, so nothing is changed.
        Map<String, List<ACL>> beforeRefusal = ZooKeeperTrees.aclsUnder(owner, ROOT);
        ZooKeeperTreeSecurer.Outcome refused = ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), ROOT, identity, TIMEOUT, false);
        assertThat(refused).isInstanceOfSatisfying(ZooKeeperTreeSecurer.Outcome.Refused.class, refusal -> {
            assertThat(refusal.reason()).startsWith("1 live node(s) under " + ROOT + " belong to ZooKeeper sessions that do not use this secret file");
            assertThat(refusal.paths()).containsExactly(ROOT + "/liveness/N2");
        });
        assertThat(ZooKeeperTrees.aclsUnder(owner, ROOT)).isEqualTo(beforeRefusal);

        // Node 2 restarts with the secret too; the dry run counts, step 2 secures, a rerun has nothing to do.
        stillOpenLiveness.close();
        stillOpen.close();
        ZooKeeperMetadataStore secondSecured = store(ZooKeeperAccess.secured(identity));
        secondSecured.putEphemeral(MetadataKeys.liveness(NodeId.of(2)), "alive again".getBytes(UTF_8));
        int openNodes = (int) ZooKeeperTrees.aclsUnder(owner, ROOT).values().stream().filter(ZooKeeperTreeSecurer::isOpen).count();
        assertThat(openNodes).isGreaterThan(5);
        ZooKeeperTreeSecurer.Outcome dryRun = ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), ROOT, identity, TIMEOUT, true);
        assertThat(dryRun).isInstanceOfSatisfying(ZooKeeperTreeSecurer.Outcome.Secured.class, done -> {
            assertThat(done.changed()).isEqualTo(openNodes);
            assertThat(done.dryRun()).isTrue();
        });
        assertThat(stranger.getACL().forPath(ROOT + "/nodes")).isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);
        ZooKeeperTreeSecurer.Outcome secured = ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), ROOT, identity, TIMEOUT, false);
        assertThat(secured).isEqualTo(new ZooKeeperTreeSecurer.Outcome.Secured(ROOT, ((ZooKeeperTreeSecurer.Outcome.Secured) dryRun).nodes(), openNodes, false));
        ZooKeeperTreeSecurer.Outcome rerun = ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), ROOT, identity, TIMEOUT, false);
        assertThat(rerun).isInstanceOfSatisfying(ZooKeeperTreeSecurer.Outcome.Secured.class, done -> assertThat(done.changed()).isZero());

        assertThat(ZooKeeperTrees.aclsUnder(owner, ROOT)).allSatisfy((path, acl) -> assertThat(acl).as(path).isEqualTo(identity.acl()));
        assertRefused(() -> stranger.setData().forPath(ROOT + "/nodes", "forged".getBytes(UTF_8)));
        assertRefused(() -> stranger.create().forPath(ROOT + "/intruder"));
        assertThat(securedNode.get(MetadataKeys.NODES).orElseThrow().version()).isEqualTo(nodesVersion);
        // The cluster keeps working: writes, logs, its election and its liveness entries.
        assertThat(securedNode.put(MetadataKeys.NODES, "after".getBytes(UTF_8), Precondition.matchesVersion(nodesVersion))).isEqualTo(nodesVersion + 1);
        securedNode.commit(List.of(Op.append(MetadataKeys.EVENTS, "after".getBytes(UTF_8))));
        assertThat(election.isLeader()).isTrue();
        assertThat(secondSecured.get(MetadataKeys.liveness(NodeId.of(1)))).isPresent();

        // A securer with the wrong secret cannot get in, and says so.
        ZooKeeperTreeSecurer.Outcome wrong = ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), ROOT, identity("wrong", OTHER_SECRET), TIMEOUT, false);
        assertThat(wrong).isInstanceOfSatisfying(ZooKeeperTreeSecurer.Outcome.Refused.class,
                refusal -> assertThat(refusal.reason()).contains("the tree is secured with another secret"));
        assertThat(ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), "/sluice/no-such-cluster", identity, TIMEOUT, false))
                .isEqualTo(new ZooKeeperTreeSecurer.Outcome.Refused("there is no cluster at /sluice/no-such-cluster: is the cluster name right?",
                        List.of("/sluice/no-such-cluster")));
    }

    /**
     * Rotation without downtime: processes move from the old secret to a file holding both, the tree is secured for
     * both, they move to the new secret alone, and the tree is secured for it; a client with only the old secret is
     * then refused.
     */
    @Test
    void theSecretIsRotatedThroughAFileHoldingBothSecrets() throws Exception {
        ZooKeeperIdentity old = identity("old", SECRET);
        ZooKeeperMetadataStore onOld = store(ZooKeeperAccess.secured(old));
        exercise(onOld);

        ZooKeeperIdentity both = identity("both", OTHER_SECRET, SECRET);
        ZooKeeperMetadataStore onBoth = store(ZooKeeperAccess.secured(both));
        onBoth.put("made-during-rotation", "both".getBytes(UTF_8), Precondition.NONE);
        // The process still on the old secret reads and writes what a process with both made.
        onOld.put("made-during-rotation", "old".getBytes(UTF_8), Precondition.matchesVersion(1));
        onOld.close();
        assertThat(ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), ROOT, both, TIMEOUT, false)).isInstanceOf(ZooKeeperTreeSecurer.Outcome.Secured.class);

        ZooKeeperIdentity fresh = identity("new", OTHER_SECRET);
        ZooKeeperMetadataStore onNew = store(ZooKeeperAccess.secured(fresh));
        assertThat(new String(onNew.get("made-during-rotation").orElseThrow().value(), UTF_8)).isEqualTo("old");
        assertThat(onNew.get(MetadataKeys.NODES)).isPresent();
        onNew.put("made-after-rotation", "new".getBytes(UTF_8), Precondition.NONE);
        assertThat(onBoth.get("made-after-rotation")).isPresent();
        onBoth.close();
        assertThat(ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), ROOT, fresh, TIMEOUT, false)).isInstanceOf(ZooKeeperTreeSecurer.Outcome.Secured.class);

        assertThat(ZooKeeperTrees.aclsUnder(rawClient(USER + ":" + OTHER_SECRET), ROOT)).allSatisfy((path, acl) -> assertThat(new HashSet<>(acl)).as(path)
                .isEqualTo(new HashSet<>(fresh.acl())));
        assertRefused(() -> rawClient(USER + ":" + SECRET).getData().forPath(ROOT + "/nodes"));
        assertThatThrownBy(() -> store(ZooKeeperAccess.secured(identity("old-again", SECRET)))).isInstanceOf(MetadataAccessDeniedException.class);
    }
}
