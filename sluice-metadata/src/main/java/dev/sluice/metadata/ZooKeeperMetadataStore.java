package dev.sluice.metadata;

import dev.sluice.model.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata store on Apache ZooKeeper, through Apache Curator. Keys map to znodes under a root path
 * (one per cluster); versions are znode versions plus one; logs are persistent sequential children;
 * ephemeral keys are ephemeral znodes, re-created after a session expiry.
 *
 * <p>ZooKeeper cannot say whether a write whose reply was lost was applied, and Curator retries such a
 * write: a conditional write can then fail on its own earlier success. Every conditional failure is
 * therefore checked by reading the key back: if it holds exactly the bytes this write put there, at the
 * version this write produced, the write counts as applied.
 */
public final class ZooKeeperMetadataStore implements MetadataStore {

    private static final Logger log = LoggerFactory.getLogger(ZooKeeperMetadataStore.class);

    /** How long an operation waits for a connection before it reports the store unavailable. */
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_RETRIES = 32;

    private final CuratorFramework client;
    private final String root;
    private final Set<String> knownParents = ConcurrentHashMap.newKeySet();
    private final List<Watch> watches = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<LeaderElection> elections = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<ZooKeeperEphemeral> ephemerals = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final Duration connectionTimeout;
    private final ZooKeeperAccess access;
    /** When this client lost its connection ({@link System#nanoTime()}), or {@link #CONNECTED} while it has one. */
    private volatile long disconnectedSinceNanos = CONNECTED;
    private static final long CONNECTED = Long.MIN_VALUE;

    private ZooKeeperMetadataStore(CuratorFramework client, String root, Duration connectionTimeout, ZooKeeperAccess access) {
        this.client = client;
        this.root = root;
        this.connectionTimeout = connectionTimeout;
        this.access = access;
        // The ZooKeeper client's own reconnect warnings are silenced (one stack trace a second while it is
        // away): these two lines say what an operator needs, once per loss.
        client.getConnectionStateListenable().addListener((curator, state) -> {
            if (state.isConnected()) {
                long since = disconnectedSinceNanos;
                disconnectedSinceNanos = CONNECTED;
                if (since != CONNECTED) {
                    log.info("connected to ZooKeeper again after {} without it", Durations.human(Duration.ofNanos(System.nanoTime() - since)));
                }
            } else if (disconnectedSinceNanos == CONNECTED) {
                disconnectedSinceNanos = System.nanoTime();
                log.warn("lost the connection to ZooKeeper at {} ({}); operations wait up to {} for it", connectString(curator), state.name().toLowerCase(),
                        Durations.human(connectionTimeout));
            }
        });
    }

    private static String connectString(CuratorFramework curator) {
        return curator.getZookeeperClient().getCurrentConnectionString();
    }

    /**
     * Connects to the ensemble at {@code connectString} and keeps every key under {@code rootPath}, with no
     * credentials: every node it creates is open to anyone (see {@link ZooKeeperAccess.Open}).
     *
     * @throws MetadataUnavailableException if no server answers within {@code connectionTimeout}
     * @throws MetadataAccessDeniedException if the tree at {@code rootPath} is secured
     */
    public static ZooKeeperMetadataStore connect(String connectString, String rootPath, Duration sessionTimeout, Duration connectionTimeout) {
        return connect(connectString, rootPath, sessionTimeout, connectionTimeout, ZooKeeperAccess.OPEN);
    }

    /**
     * Connects to the ensemble at {@code connectString} and keeps every key under {@code rootPath}. With
     * {@link ZooKeeperAccess.Secured} the client authenticates as the cluster's identity, and every node it creates
     * — the root and its missing parents, documents, logs, ephemeral keys, election nodes — carries that identity's
     * ACL: Curator's ACL provider applies to every create, in transactions and recipes alike, and to the parents
     * that {@code creatingParentsIfNeeded} and {@code creatingParentContainersIfNeeded} make.
     *
     * <p>A secured store works on a tree that is still open (an authenticated client may use open nodes), which
     * is how an open cluster is migrated without stopping it: it says so in the log; {@link ZooKeeperTreeSecurer}
     * then secures the tree.
     *
     * @throws MetadataUnavailableException if no server answers within {@code connectionTimeout}
     * @throws MetadataAccessDeniedException if the tree at {@code rootPath} does not grant this access
     */
    public static ZooKeeperMetadataStore connect(String connectString, String rootPath, Duration sessionTimeout, Duration connectionTimeout,
            ZooKeeperAccess access) {
        requireValidRoot(rootPath);
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs((int) sessionTimeout.toMillis())
                .connectionTimeoutMs((int) connectionTimeout.toMillis())
                .retryPolicy(new RetryNTimes(0, 0));
        switch (access) {
            case ZooKeeperAccess.Open open -> {
            }
            case ZooKeeperAccess.Secured secured -> builder.authorization(secured.identity().authentication()).aclProvider(new ClusterAclProvider(rootPath, secured));
        }
        CuratorFramework client = builder.build();
        client.start();
        try {
            if (!client.blockUntilConnected((int) connectionTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                client.close();
                throw new MetadataUnavailableException("no ZooKeeper server at " + connectString + " answered within " + Durations.human(connectionTimeout), null);
            }
        } catch (InterruptedException interrupted) {
            client.close();
            Thread.currentThread().interrupt();
            throw new MetadataUnavailableException("interrupted while connecting to ZooKeeper at " + connectString, interrupted);
        }
        ZooKeeperMetadataStore store = new ZooKeeperMetadataStore(client, rootPath, connectionTimeout, access);
        try {
            store.ensurePath(rootPath);
            store.checkRootAccess();
        } catch (RuntimeException failed) {
            client.close();
            throw failed;
        }
        return store;
    }

    static void requireValidRoot(String rootPath) {
        if (!rootPath.startsWith("/") || rootPath.endsWith("/") || rootPath.length() < 2) {
            throw new IllegalArgumentException("root path must start with '/' and not end with it, got '" + rootPath + "'");
        }
    }

    /**
     * Fails at start, with a message that names the setting to check, when the root does not let this client in;
     * otherwise the first refused write would fail deep inside a worker's registration. Reading the ACL needs
     * READ or ADMIN on the root, as every other operation of the store does.
     */
    private void checkRootAccess() {
        List<ACL> rootAcl;
        try {
            rootAcl = call("read the ACL of " + root, afterLoss -> client.getACL().forPath(root));
        } catch (MetadataAccessDeniedException denied) {
            String advice = switch (access) {
                case ZooKeeperAccess.Open open -> "the cluster's tree is secured: give this process the cluster's secret (--zookeeper-secret-file)";
                case ZooKeeperAccess.Secured secured -> "the cluster's tree grants another identity: is " + secured.identity().source()
                        + " the cluster's secret file, and is the cluster name right?";
            };
            throw new MetadataAccessDeniedException("ZooKeeper refuses this process access to " + root + ": " + advice, denied.getCause());
        }
        if (access instanceof ZooKeeperAccess.Secured && ZooKeeperTreeSecurer.isOpen(rootAcl)) {
            log.warn("the cluster's ZooKeeper tree {} is open: anyone who reaches ZooKeeper can change it. Once every node of the cluster runs with the secret, "
                    + "secure it with 'sluice zookeeper secure' (docs/security.md, \"ZooKeeper\")", root);
        }
    }

    /**
     * Whether anyone who reaches ZooKeeper may use the cluster's root ({@code world:anyone} has a permission on it):
     * a tree created before the cluster had a secret, not yet secured with {@link ZooKeeperTreeSecurer}.
     */
    public boolean rootIsOpen() {
        return ZooKeeperTreeSecurer.isOpen(call("read the ACL of " + root, afterLoss -> client.getACL().forPath(root)));
    }

    /**
     * The cluster's identity ACL for the root and everything under it; the parent ACL for what lies above it (see
     * {@link ZooKeeperAccess#parentAcl()}).
     */
    private record ClusterAclProvider(String root, ZooKeeperAccess access) implements ACLProvider {
        @Override
        public List<ACL> getDefaultAcl() {
            return access.treeAcl();
        }

        @Override
        public List<ACL> getAclForPath(String path) {
            return path.equals(root) || path.startsWith(root + "/") ? access.treeAcl() : access.parentAcl();
        }
    }

    public static ZooKeeperMetadataStore connect(String connectString, String rootPath) {
        return connect(connectString, rootPath, DEFAULT_SESSION_TIMEOUT, DEFAULT_CONNECTION_TIMEOUT);
    }

    private String path(String key) {
        return root + "/" + Keys.requireValid(key);
    }

    String keyOf(String path) {
        if (path.equals(root)) {
            return "";
        }
        return path.substring(root.length() + 1);
    }

    private static long versionOf(Stat stat) {
        return stat.getVersion() + 1L;
    }

    @Override
    public Optional<Versioned> get(String key) {
        String path = path(key);
        return call("get " + key, afterLoss -> {
            Stat stat = new Stat();
            try {
                byte[] data = client.getData().storingStatIn(stat).forPath(path);
                return Optional.of(new Versioned(data == null ? new byte[0] : data, versionOf(stat)));
            } catch (KeeperException.NoNodeException absent) {
                return Optional.<Versioned>empty();
            }
        });
    }

    @Override
    public List<String> children(String key) {
        String path = path(key);
        return call("list " + key, afterLoss -> {
            try {
                List<String> names = new ArrayList<>(client.getChildren().forPath(path));
                names.sort(null);
                return List.copyOf(names);
            } catch (KeeperException.NoNodeException absent) {
                return List.<String>of();
            }
        });
    }

    /**
     * Lists the children, then reads them with up to {@link #READS_IN_FLIGHT} requests outstanding at once: one
     * client connection answers requests in order, so overlapping them pays the round trip once per window rather
     * than once per child.
     */
    @Override
    public java.util.SortedMap<String, Versioned> readChildren(String key) {
        String parent = path(key);
        return call("read the children of " + key, afterLoss -> {
            List<String> names = childrenOrNone(parent);
            java.util.concurrent.ConcurrentSkipListMap<String, Versioned> values = new java.util.concurrent.ConcurrentSkipListMap<>();
            java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(READS_IN_FLIGHT);
            java.util.concurrent.atomic.AtomicReference<KeeperException.Code> failed = new java.util.concurrent.atomic.AtomicReference<>();
            for (String name : names) {
                if (failed.get() != null) {
                    break;
                }
                acquire(window, 1, key);
                client.getData().inBackground((curator, event) -> {
                    try {
                        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
                        if (code == KeeperException.Code.OK) {
                            values.put(name, new Versioned(event.getData() == null ? new byte[0] : event.getData(), versionOf(event.getStat())));
                        } else if (code != KeeperException.Code.NONODE) {
                            // NONODE: deleted since the listing, so not a child any more.
                            failed.compareAndSet(null, code);
                        }
                    } finally {
                        window.release();
                    }
                }).forPath(parent + "/" + name);
            }
            acquire(window, READS_IN_FLIGHT, key);
            window.release(READS_IN_FLIGHT);
            if (failed.get() != null) {
                // call() retries a lost connection and maps the rest, as for any other operation.
                throw KeeperException.create(failed.get(), parent);
            }
            return new java.util.TreeMap<>(values);
        });
    }

    /** The children of {@code parent}, none when it does not exist. */
    private List<String> childrenOrNone(String parent) throws Exception {
        try {
            return client.getChildren().forPath(parent);
        } catch (KeeperException.NoNodeException absent) {
            return List.of();
        }
    }

    /** Reads one connection keeps outstanding in {@link #readChildren}; each reply is one small document. */
    static final int READS_IN_FLIGHT = 1_000;
    /**
     * The most a batched read asks for in one reply: half the ZooKeeper client's 1 MiB packet limit, which it
     * enforces by dropping the connection.
     */
    static final int BATCH_REPLY_BYTES_MAX = 512 * 1024;
    /** What a reply carries for each value besides its bytes: its stat (68 bytes), result header and lengths. */
    static final int BATCH_BYTES_PER_VALUE = 128;

    @Override
    public java.util.SortedMap<String, Versioned> readChildren(String key, int valueBytesMax) {
        String parent = path(key);
        return call("read the children of " + key, afterLoss -> {
            List<String> names = childrenOrNone(parent);
            java.util.concurrent.ConcurrentSkipListMap<String, Versioned> values = new java.util.concurrent.ConcurrentSkipListMap<>();
            List<String> paths = names.stream().map(name -> parent + "/" + name).toList();
            readBatched(paths, valueBytesMax, key, (path, data, stat) -> values.put(ZKPaths.getNodeFromPath(path), new Versioned(data == null ? new byte[0] : data,
                    versionOf(stat))));
            return new java.util.TreeMap<>(values);
        });
    }

    @Override
    public java.util.SortedMap<String, Versioned> getAll(java.util.Collection<String> keys, int valueBytesMax) {
        keys.forEach(Keys::requireValid);
        List<String> paths = keys.stream().map(this::path).toList();
        return call("read " + keys.size() + " keys", afterLoss -> {
            java.util.concurrent.ConcurrentSkipListMap<String, Versioned> values = new java.util.concurrent.ConcurrentSkipListMap<>();
            readBatched(paths, valueBytesMax, keys.size() + " keys", (path, data, stat) -> values.put(keyOf(path), new Versioned(data == null ? new byte[0] : data,
                    versionOf(stat))));
            return new java.util.TreeMap<>(values);
        });
    }

    /** Receives one value of a batched read, on the client's event thread, in reply order. */
    @FunctionalInterface
    interface BatchedValue {
        void value(String path, byte[] data, Stat stat);
    }

    /**
     * Reads {@code paths} with ZooKeeper's multi-read, as many to a request as replies of values up to
     * {@code valueBytesMax} keep under {@link #BATCH_REPLY_BYTES_MAX}, and up to {@link #READS_IN_FLIGHT} values
     * outstanding. A request per value cost the servers one trip through their request pipeline each: a million
     * placements took 131 s to read on the bench machine (docs/benchmarks.md, "Metadata at size"). A path deleted
     * meanwhile is left out.
     *
     * @throws KeeperException for the first read that failed otherwise, once every batch has answered
     */
    void readBatched(List<String> paths, int valueBytesMax, String what, BatchedValue consumer) throws Exception {
        int perBatch = Math.max(1, Math.min(READS_IN_FLIGHT, BATCH_REPLY_BYTES_MAX / (Math.max(0, valueBytesMax) + BATCH_BYTES_PER_VALUE)));
        org.apache.zookeeper.ZooKeeper zooKeeper = client.getZookeeperClient().getZooKeeper();
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(READS_IN_FLIGHT);
        java.util.concurrent.atomic.AtomicReference<KeeperException.Code> failed = new java.util.concurrent.atomic.AtomicReference<>();
        for (int from = 0; from < paths.size() && failed.get() == null; from += perBatch) {
            List<String> batch = paths.subList(from, Math.min(paths.size(), from + perBatch));
            acquire(window, batch.size(), what);
            List<org.apache.zookeeper.Op> reads = batch.stream().map(org.apache.zookeeper.Op::getData).toList();
            zooKeeper.multi(reads, (rc, ignored, context, results) -> {
                try {
                    if (results == null) {
                        failed.compareAndSet(null, KeeperException.Code.get(rc));
                        return;
                    }
                    for (int i = 0; i < results.size(); i++) {
                        if (results.get(i) instanceof OpResult.GetDataResult read) {
                            consumer.value(batch.get(i), read.getData(), read.getStat());
                        } else if (results.get(i) instanceof OpResult.ErrorResult error && error.getErr() != KeeperException.Code.NONODE.intValue()) {
                            failed.compareAndSet(null, KeeperException.Code.get(error.getErr()));
                        }
                    }
                } finally {
                    window.release(batch.size());
                }
            }, null);
        }
        acquire(window, READS_IN_FLIGHT, what);
        window.release(READS_IN_FLIGHT);
        if (failed.get() != null) {
            throw KeeperException.create(failed.get());
        }
    }

    void acquire(java.util.concurrent.Semaphore window, int permits, String key) throws InterruptedException {
        if (!window.tryAcquire(permits, connectionTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new MetadataUnavailableException("ZooKeeper did not answer reads of the children of " + key + " within " + Durations.human(connectionTimeout),
                    null);
        }
    }

    @Override
    public long put(String key, byte[] value, Precondition precondition) {
        return commit(List.of(Op.put(key, value, precondition))).getFirst().version();
    }

    @Override
    public boolean delete(String key, Precondition precondition) {
        String path = path(key);
        return call("delete " + key, afterLoss -> {
            try {
                switch (precondition) {
                    case Precondition.None none -> client.delete().forPath(path);
                    case Precondition.Exists exists -> client.delete().forPath(path);
                    case Precondition.MatchesVersion matches -> client.delete().withVersion((int) (matches.version() - 1)).forPath(path);
                    case Precondition.DoesNotExist absent -> throw new PreconditionFailedException(key, "'" + key + "' exists; cannot delete it on condition that it does not");
                }
                return true;
            } catch (KeeperException.NoNodeException absent) {
                // After a lost reply, our own earlier attempt is the likely deleter.
                return afterLoss;
            } catch (KeeperException.BadVersionException conflict) {
                throw new PreconditionFailedException(key, "'" + key + "' is not at the expected version", afterLoss);
            } catch (KeeperException.NotEmptyException hasChildren) {
                throw new MetadataException("cannot delete '" + key + "': it has children");
            }
        });
    }

    @Override
    public List<Op.Result> commit(List<Op> ops) {
        if (ops.isEmpty()) {
            return List.of();
        }
        for (Op op : ops) {
            Keys.requireValid(op.key());
            if (op instanceof Op.Put put) {
                Keys.requireValidValue(put.key(), put.value());
            } else if (op instanceof Op.Append append) {
                Keys.requireValidValue(append.key(), append.value());
            }
        }
        for (Op op : ops) {
            switch (op) {
                case Op.Put put -> ensureParentOf(path(put.key()));
                case Op.Append append -> ensurePath(path(append.key()));
                case Op.Delete delete -> {
                }
                case Op.Check check -> {
                }
            }
        }
        return call("commit " + ops.stream().map(Op::key).toList(), afterLoss -> {
            List<Planned> planned = plan(ops);
            List<CuratorOp> curatorOps = new ArrayList<>();
            for (Planned step : planned) {
                curatorOps.add(toCuratorOp(step));
            }
            try {
                List<CuratorTransactionResult> results = client.transaction().forOperations(curatorOps);
                List<Op.Result> mapped = new ArrayList<>();
                for (int i = 0; i < planned.size(); i++) {
                    mapped.add(toResult(planned.get(i).op(), results.get(i)));
                }
                return List.copyOf(mapped);
            } catch (KeeperException failure) {
                return recoverFailedCommit(planned, failure, afterLoss);
            }
        });
    }

    /**
     * One operation as it will be sent. ZooKeeper has no "create or overwrite" inside a transaction, so an
     * unconditional put becomes a create or a versioned set depending on what exists now; if that changes
     * before the commit, the commit fails and is planned again.
     */
    private record Planned(Op op, Precondition effective, boolean unconditional) {}

    private List<Planned> plan(List<Op> ops) throws Exception {
        List<Planned> planned = new ArrayList<>(ops.size());
        for (Op op : ops) {
            if (op instanceof Op.Put put && put.precondition() instanceof Precondition.None) {
                Stat stat = client.checkExists().forPath(path(put.key()));
                planned.add(new Planned(op, stat == null ? Precondition.DOES_NOT_EXIST : Precondition.matchesVersion(versionOf(stat)), true));
            } else {
                planned.add(new Planned(op, op instanceof Op.Put put ? put.precondition() : Precondition.NONE, false));
            }
        }
        return planned;
    }

    private CuratorOp toCuratorOp(Planned step) throws Exception {
        return switch (step.op()) {
            case Op.Put put -> switch (step.effective()) {
                case Precondition.DoesNotExist absent -> client.transactionOp().create().withMode(CreateMode.PERSISTENT).forPath(path(put.key()), put.value());
                case Precondition.MatchesVersion matches -> client.transactionOp().setData().withVersion((int) (matches.version() - 1)).forPath(path(put.key()), put.value());
                case Precondition.Exists exists -> client.transactionOp().setData().forPath(path(put.key()), put.value());
                case Precondition.None none -> throw new IllegalStateException("BUG: unconditional puts are planned as create or set");
            };
            case Op.Delete delete -> switch (delete.precondition()) {
                case Precondition.MatchesVersion matches -> client.transactionOp().delete().withVersion((int) (matches.version() - 1)).forPath(path(delete.key()));
                case Precondition.None none -> client.transactionOp().delete().forPath(path(delete.key()));
                case Precondition.Exists exists -> client.transactionOp().delete().forPath(path(delete.key()));
                case Precondition.DoesNotExist absent -> throw new IllegalArgumentException("a delete cannot require that the key does not exist");
            };
            case Op.Check check -> client.transactionOp().check().withVersion((int) (check.version() - 1)).forPath(path(check.key()));
            case Op.Append append -> client.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                    .forPath(path(append.key()) + "/" + Keys.LOG_ENTRY_PREFIX, append.value());
        };
    }

    private static Op.Result toResult(Op op, CuratorTransactionResult result) {
        return switch (op) {
            case Op.Put put -> new Op.Result(result.getResultStat() != null ? versionOf(result.getResultStat()) : 1, 0);
            case Op.Append append -> new Op.Result(0, Keys.sequenceOf(ZKPaths.getNodeFromPath(result.getResultPath())));
            case Op.Delete delete -> new Op.Result(0, 0);
            case Op.Check check -> new Op.Result(0, 0);
        };
    }

    /**
     * A commit failed: find which operation and why. If the first conditional put already holds exactly
     * its bytes at the version it would have produced, an earlier attempt whose reply was lost applied the
     * whole commit, so it succeeded.
     */
    private List<Op.Result> recoverFailedCommit(List<Planned> planned, KeeperException failure, boolean afterLoss) throws Exception {
        int failedIndex = -1;
        List<OpResult> results = failure.getResults();
        if (results != null) {
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i) instanceof OpResult.ErrorResult error
                        && error.getErr() != KeeperException.Code.OK.intValue()
                        && error.getErr() != KeeperException.Code.RUNTIMEINCONSISTENCY.intValue()) {
                    failedIndex = i;
                    break;
                }
            }
        }
        if (failedIndex < 0) {
            throw failure;
        }
        if (failure.code() == KeeperException.Code.NOAUTH
                || ((OpResult.ErrorResult) results.get(failedIndex)).getErr() == KeeperException.Code.NOAUTH.intValue()) {
            // Not a race with another writer: retrying cannot help. call() says whose ACL refused it.
            throw new KeeperException.NoAuthException();
        }
        Planned failed = planned.get(failedIndex);
        if (afterLoss && appliedEarlier(planned)) {
            List<Op.Result> assumed = new ArrayList<>();
            for (Planned step : planned) {
                long version = step.op() instanceof Op.Put ? get(step.op().key()).map(Versioned::version).orElse(0L) : 0;
                assumed.add(new Op.Result(version, step.op() instanceof Op.Append ? -1 : 0));
            }
            log.info("commit on {} was applied by an earlier attempt whose reply was lost", failed.op().key());
            return List.copyOf(assumed);
        }
        if (failed.unconditional()) {
            throw new RetryableConflict();
        }
        String key = failed.op().key();
        String reason = switch (KeeperException.Code.get(((OpResult.ErrorResult) results.get(failedIndex)).getErr())) {
            case NODEEXISTS -> "'" + key + "' already exists";
            case NONODE -> "'" + key + "' does not exist";
            case BADVERSION -> "'" + key + "' is not at the expected version";
            case NOTEMPTY -> "'" + key + "' has children";
            default -> "'" + key + "': " + failure.code();
        };
        throw new PreconditionFailedException(key, reason, afterLoss);
    }

    /** Whether the first put of {@code planned} already holds exactly its bytes at its resulting version. */
    private boolean appliedEarlier(List<Planned> planned) {
        for (Planned step : planned) {
            // A put on condition that its key exists names no version to find, so it cannot tell.
            if (step.op() instanceof Op.Put put && !(step.effective() instanceof Precondition.Exists)) {
                long expectedVersion = switch (step.effective()) {
                    case Precondition.DoesNotExist absent -> 1;
                    case Precondition.MatchesVersion matches -> matches.version() + 1;
                    case Precondition.Exists exists -> throw new IllegalStateException("BUG: left out above");
                    case Precondition.None none -> throw new IllegalStateException("BUG: puts are planned with a precondition");
                };
                Optional<Versioned> now = get(put.key());
                return now.isPresent() && now.get().version() == expectedVersion && Arrays.equals(now.get().value(), put.value());
            }
        }
        return false;
    }

    @Override
    public List<LogEntry> readLog(String logKey, long afterSequence, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
        String path = path(logKey);
        return call("read log " + logKey, afterLoss -> {
            List<String> names;
            try {
                names = client.getChildren().forPath(path);
            } catch (KeeperException.NoNodeException absent) {
                return List.<LogEntry>of();
            }
            List<Long> sequences = new ArrayList<>();
            for (String name : names) {
                long sequence = Keys.sequenceOf(name);
                if (sequence > afterSequence) {
                    sequences.add(sequence);
                }
            }
            sequences.sort(null);
            List<LogEntry> entries = new ArrayList<>();
            for (long sequence : sequences) {
                if (entries.size() >= limit) {
                    break;
                }
                try {
                    Stat stat = new Stat();
                    byte[] value = client.getData().storingStatIn(stat).forPath(path + "/" + Keys.logEntryName(sequence));
                    entries.add(new LogEntry(sequence, value, Instant.ofEpochMilli(stat.getCtime())));
                } catch (KeeperException.NoNodeException trimmed) {
                    // Deleted by a concurrent trim; older entries are not promised.
                }
            }
            return List.copyOf(entries);
        });
    }

    @Override
    public EphemeralKey putEphemeral(String key, byte[] value) {
        String path = path(key);
        Keys.requireValidValue(key, value);
        ensureParentOf(path);
        ZooKeeperEphemeral ephemeral = new ZooKeeperEphemeral(key, path, value.clone());
        ephemeral.create();
        client.getConnectionStateListenable().addListener(ephemeral);
        ephemerals.add(ephemeral);
        return ephemeral;
    }

    /**
     * An ephemeral znode owned by this session. If the session expires, ZooKeeper deletes the node; when a
     * new session connects it is re-created, unless another process took the key meanwhile, in which case
     * it stays lost (the owner must then assume it no longer holds what the key stood for).
     */
    private final class ZooKeeperEphemeral implements EphemeralKey, ConnectionStateListener {
        private final String key;
        private final String path;
        private volatile byte[] value;
        private volatile boolean closed;
        /** One instance, so ZooKeeper keeps a single watch on the path however often {@link #restore()} runs. */
        private final CuratorWatcher onChange = event -> {
            if (event.getType() != Watcher.Event.EventType.None && !closed) {
                restoreInBackground();
            }
        };

        ZooKeeperEphemeral(String key, String path, byte[] value) {
            this.key = key;
            this.path = path;
            this.value = value;
        }

        void create() {
            call("create ephemeral " + key, afterLoss -> {
                try {
                    client.create().withMode(CreateMode.EPHEMERAL).forPath(path, value);
                } catch (KeeperException.NodeExistsException exists) {
                    Stat stat = client.checkExists().forPath(path);
                    long session = client.getZookeeperClient().getZooKeeper().getSessionId();
                    if (stat == null || stat.getEphemeralOwner() != session) {
                        throw new PreconditionFailedException(key, "'" + key + "' is held by another session");
                    }
                    // Our own earlier attempt created it before its reply was lost.
                }
                return null;
            });
        }

        @Override
        public void stateChanged(CuratorFramework curator, ConnectionState state) {
            if (state == ConnectionState.RECONNECTED && !closed) {
                restoreInBackground();
            }
        }

        /** Off the caller's thread: Curator's state and watch threads must not block on ZooKeeper calls. */
        private void restoreInBackground() {
            Thread restore = new Thread(this::restore, "zk-ephemeral-" + key);
            restore.setDaemon(true);
            restore.start();
        }

        /**
         * Makes sure the node exists and belongs to this session. After this client gave its session up, the
         * node can still be there, held by the old session until the ensemble expires it: an ensemble that
         * lost its quorum restarts every session's clock when it has one again, so the old session outlives
         * the client's own timeout. A watch then re-creates the node the moment ZooKeeper deletes it;
         * checking for existence alone lost it for good (docs/reliability.md, finding 2).
         */
        private void restore() {
            if (closed) {
                return;
            }
            try {
                Stat stat = client.checkExists().usingWatcher(onChange).forPath(path);
                long session = client.getZookeeperClient().getZooKeeper().getSessionId();
                if (stat == null) {
                    create();
                    log.info("re-created ephemeral '{}' after a session expiry", key);
                } else if (stat.getEphemeralOwner() != session) {
                    log.info("ephemeral '{}' is still held by an expired session (0x{}); re-creating it once ZooKeeper removes it", key,
                            Long.toHexString(stat.getEphemeralOwner()));
                }
            } catch (PreconditionFailedException taken) {
                log.error("lost ephemeral '{}' after a session expiry: {}", key, taken.getMessage());
            } catch (Exception e) {
                // The connection dropped again; its return brings another RECONNECTED, and another try.
                log.warn("could not restore ephemeral '{}' yet ({}); trying again when the connection returns", key, e.getMessage());
            }
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public void update(byte[] newValue) {
            Keys.requireValidValue(key, newValue);
            value = newValue.clone();
            call("update ephemeral " + key, afterLoss -> client.setData().forPath(path, value));
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            client.getConnectionStateListenable().removeListener(this);
            ephemerals.remove(this);
            try {
                call("delete ephemeral " + key, afterLoss -> {
                    try {
                        client.delete().forPath(path);
                    } catch (KeeperException.NoNodeException gone) {
                        // Already gone with the session.
                    }
                    return null;
                });
            } catch (MetadataException unreachable) {
                log.debug("could not delete ephemeral '{}'; it goes with the session", key, unreachable);
            }
        }
    }

    @Override
    public LeaderElection elect(String key, String participantId) {
        String path = path(key);
        ensurePath(path);
        LeaderLatch latch = new LeaderLatch(client, path, participantId, LeaderLatch.CloseMode.NOTIFY_LEADER);
        ExecutorService dispatcher = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "zk-election-" + key);
            thread.setDaemon(true);
            return thread;
        });
        LeaderElection election = new LeaderElection() {
            @Override
            public String participantId() {
                return participantId;
            }

            @Override
            public boolean isLeader() {
                return latch.hasLeadership();
            }

            @Override
            public boolean awaitLeadership(Duration timeout) throws InterruptedException {
                return latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }

            @Override
            public Optional<String> currentLeader() {
                return call("read leader of " + key, afterLoss -> {
                    try {
                        Participant leader = latch.getLeader();
                        return leader.isLeader() ? Optional.of(leader.getId()) : Optional.<String>empty();
                    } catch (KeeperException.NoNodeException none) {
                        return Optional.<String>empty();
                    }
                });
            }

            @Override
            public void addListener(Listener listener) {
                latch.addListener(new LeaderLatchListener() {
                    @Override
                    public void isLeader() {
                        listener.leadershipAcquired();
                    }

                    @Override
                    public void notLeader() {
                        listener.leadershipLost();
                    }
                }, dispatcher);
            }

            @Override
            public void close() {
                elections.remove(this);
                try {
                    latch.close();
                } catch (Exception e) {
                    log.debug("closing the election at {} failed", key, e);
                } finally {
                    dispatcher.shutdown();
                }
            }
        };
        try {
            latch.start();
        } catch (Exception e) {
            dispatcher.shutdown();
            throw new MetadataException("could not join the election at " + key + ": " + e, e);
        }
        elections.add(election);
        return election;
    }

    /** The names of the children of the node at {@code path}, as {@link #children} lists a key's. */
    List<String> childrenOfPath(String path) {
        return call("list " + keyOf(path), afterLoss -> {
            try {
                return client.getChildren().forPath(path);
            } catch (KeeperException.NoNodeException absent) {
                return List.<String>of();
            }
        });
    }

    void forget(Watch watch) {
        watches.remove(watch);
    }

    @Override
    public Watch watch(String key, boolean recursive, WatchListener listener) {
        return watch(key, recursive, MAX_VALUE_BYTES, listener);
    }

    @Override
    public Watch watch(String key, boolean recursive, int valueBytesMax, WatchListener listener) {
        String path = path(key);
        if (recursive) {
            ZooKeeperTreeWatch tree = new ZooKeeperTreeWatch(this, client, path, key, valueBytesMax, listener);
            watches.add(tree);
            tree.start();
            return tree;
        }
        ExecutorService dispatcher = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "zk-watch-" + key);
            thread.setDaemon(true);
            return thread;
        });
        CuratorCache cache = CuratorCache.build(client, path, CuratorCache.Options.SINGLE_NODE_CACHE);
        CuratorCacheListener forward = CuratorCacheListener.builder()
                .forCreatesAndChanges((before, after) -> dispatch(dispatcher, () -> listener.onChange(keyOf(after.getPath()), Optional.of(toVersioned(after)))))
                .forDeletes(before -> dispatch(dispatcher, () -> listener.onChange(keyOf(before.getPath()), Optional.empty())))
                .forInitialized(() -> dispatch(dispatcher, listener::onInitialized))
                .build();
        cache.listenable().addListener(forward);
        ConnectionStateListener resync = (curator, state) -> {
            if (state == ConnectionState.RECONNECTED) {
                dispatch(dispatcher, listener::onResync);
            }
        };
        client.getConnectionStateListenable().addListener(resync);
        cache.start();
        Watch watch = new Watch() {
            @Override
            public void close() {
                client.getConnectionStateListenable().removeListener(resync);
                cache.close();
                dispatcher.shutdown();
                watches.remove(this);
            }
        };
        watches.add(watch);
        return watch;
    }

    private static Versioned toVersioned(ChildData data) {
        return new Versioned(data.getData() == null ? new byte[0] : data.getData(), versionOf(data.getStat()));
    }

    /** Runs {@code notification} on the watch's own thread, logging a listener that fails; nothing once the watch closes. */
    static void dispatch(ExecutorService dispatcher, Runnable notification) {
        if (!dispatcher.isShutdown()) {
            try {
                dispatcher.execute(() -> {
                    try {
                        notification.run();
                    } catch (RuntimeException e) {
                        log.warn("a metadata watch listener failed", e);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // The watch is being closed.
            }
        }
    }

    private void ensureParentOf(String path) {
        String parent = ZKPaths.getPathAndNode(path).getPath();
        if (!parent.equals("/")) {
            ensurePath(parent);
        }
    }

    private void ensurePath(String path) {
        if (knownParents.contains(path)) {
            return;
        }
        call("create " + path, afterLoss -> {
            // ZooKeeper checks CREATE on the parent before it looks whether the node exists, so creating an
            // existing node under a parent this client may not write (the cluster's root under another cluster's
            // /sluice) would be refused rather than found: look first. Looking needs READ on an existing node, so a
            // refusal means it exists; what this client may do with it is checked where it is used.
            try {
                if (client.checkExists().forPath(path) != null) {
                    return null;
                }
            } catch (KeeperException.NoAuthException existsButNotOurs) {
                return null;
            }
            try {
                client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(path, new byte[0]);
            } catch (KeeperException.NodeExistsException exists) {
                // Someone made it first; all we need is that it exists.
            }
            return null;
        });
        knownParents.add(path);
    }

    /** Marks a commit that lost a race with a concurrent create or delete and is safe to retry. */
    private static final class RetryableConflict extends RuntimeException {
        RetryableConflict() {
            super(null, null, false, false);
        }
    }

    @FunctionalInterface
    private interface ZkCall<T> {
        /** @param afterConnectionLoss whether an earlier attempt of this call lost its connection */
        T run(boolean afterConnectionLoss) throws Exception;
    }

    /**
     * Runs {@code body}, retrying it with backoff while the connection is lost, up to the connection
     * timeout. Curator itself does not retry (its retry policy is "never") so that this loop knows when
     * a write's outcome is ambiguous and can tell the body.
     *
     * <p>The wait rides out a ZooKeeper election. An outage that has already lasted the whole connection
     * timeout is not one, so then an operation that finds the connection lost fails at once rather than
     * waiting the timeout again: through a 20-s quorum loss every admin request waited 15 s for its 503
     * (docs/reliability.md, finding 3).
     */
    private <T> T call(String what, ZkCall<T> body) {
        long deadline = System.nanoTime() + connectionTimeout.toNanos();
        boolean connectionLost = false;
        for (int attempt = 1; ; attempt++) {
            // Before the attempt too: Curator itself blocks an operation up to the connection timeout while disconnected.
            failIfLongOutage(what);
            try {
                return body.run(connectionLost);
            } catch (RetryableConflict conflict) {
                if (attempt >= MAX_RETRIES) {
                    throw new MetadataException("gave up on " + what + " after " + attempt + " races with concurrent writers");
                }
            } catch (MetadataException | IllegalArgumentException | IllegalStateException passThrough) {
                throw passThrough;
            } catch (KeeperException.NoAuthException denied) {
                throw new MetadataAccessDeniedException("ZooKeeper refused " + what + ": the node's ACL does not grant this process's identity ("
                        + access + ")", denied);
            } catch (KeeperException.ConnectionLossException | KeeperException.SessionExpiredException
                     | KeeperException.OperationTimeoutException | KeeperException.SessionMovedException unavailable) {
                connectionLost = true;
                failIfLongOutage(what);
                if (System.nanoTime() > deadline) {
                    throw new MetadataUnavailableException("ZooKeeper unavailable during " + what + " for " + connectionTimeout + ": "
                            + unavailable.getMessage(), unavailable);
                }
                pause(attempt);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new MetadataUnavailableException("interrupted during " + what, interrupted);
            } catch (Exception failure) {
                throw new MetadataException("ZooKeeper operation failed: " + what + ": " + failure, failure);
            }
        }
    }

    /** Fails when this client has had no connection for longer than the connection timeout, and still has none. */
    private void failIfLongOutage(String what) {
        long since = disconnectedSinceNanos;
        long lasted = System.nanoTime() - since;
        if (since != CONNECTED && lasted > connectionTimeout.toNanos() && !client.getZookeeperClient().isConnected()) {
            throw new MetadataUnavailableException("ZooKeeper has been unreachable for " + Duration.ofNanos(lasted).toSeconds()
                    + " s, longer than the connection timeout (" + connectionTimeout + "); " + what + " not attempted", null);
        }
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(Math.min(1_000L, 25L << Math.min(attempt, 6)));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new MetadataUnavailableException("interrupted while waiting for ZooKeeper", interrupted);
        }
    }

    @Override
    public void close() {
        for (LeaderElection election : List.copyOf(elections)) {
            election.close();
        }
        for (Watch watch : List.copyOf(watches)) {
            watch.close();
        }
        for (ZooKeeperEphemeral ephemeral : List.copyOf(ephemerals)) {
            ephemeral.closed = true;
        }
        client.close();
    }

    @Override
    public String toString() {
        return "ZooKeeperMetadataStore{" + client.getZookeeperClient().getCurrentConnectionString() + root + "}";
    }
}
