package dev.sluice.metadata;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The metadata store in memory, for unit tests and simulation only; the product runs on
 * {@link ZooKeeperMetadataStore}. Several sessions can share one backing store ({@link #newSession()}),
 * each with its own ephemeral keys, the way several processes share one ZooKeeper ensemble.
 */
public final class InMemoryMetadataStore implements MetadataStore {

    private final Backing backing;
    private final Set<String> ephemeralKeys = new HashSet<>();
    private final List<WatchImpl> watches = new ArrayList<>();
    private final List<ElectionImpl> elections = new ArrayList<>();
    private boolean closed;

    public InMemoryMetadataStore() {
        this(InstantSource.system());
    }

    /** A store whose log entries are stamped by {@code clock}: a simulation's own clock keeps its runs alike. */
    public InMemoryMetadataStore(InstantSource clock) {
        this(new Backing(clock));
    }

    private InMemoryMetadataStore(Backing backing) {
        this.backing = backing;
    }

    /** Another session on the same data. */
    public InMemoryMetadataStore newSession() {
        return new InMemoryMetadataStore(backing);
    }

    /** All data lives here; one lock orders every write and every notification. */
    private static final class Backing {
        final TreeMap<String, Entry> entries = new TreeMap<>();
        final Map<String, Long> logSequences = new HashMap<>();
        final List<WatchImpl> watches = new ArrayList<>();
        final Map<String, List<ElectionImpl>> elections = new HashMap<>();
        java.util.function.Consumer<List<Op>> interference;
        /** When each log entry was appended: the store's clock, never earlier than the entry before it, as ZooKeeper's would be. */
        final Map<String, Instant> appendedAt = new HashMap<>();
        final InstantSource clock;
        Instant lastAppend = Instant.EPOCH;

        Backing(InstantSource clock) {
            this.clock = clock;
        }

        void stampAppend(String entryKey) {
            Instant now = clock.instant();
            lastAppend = now.isAfter(lastAppend) ? now : lastAppend;
            appendedAt.put(entryKey, lastAppend);
        }
    }

    /**
     * For simulations: runs {@code interference} before every commit of every session on this data, under
     * the store's lock, with the commit's operations — so it can write first, as a concurrent writer would
     * (its own writes do not run it again). {@code null} stops it.
     */
    public void interfereBeforeCommits(java.util.function.Consumer<List<Op>> interference) {
        synchronized (backing) {
            backing.interference = interference;
        }
    }

    private record Entry(byte[] value, long version, InMemoryMetadataStore owner) {}

    @Override
    public Optional<Versioned> get(String key) {
        Keys.requireValid(key);
        synchronized (backing) {
            requireOpen();
            Entry entry = backing.entries.get(key);
            return entry == null ? Optional.empty() : Optional.of(new Versioned(entry.value, entry.version));
        }
    }

    @Override
    public List<String> children(String key) {
        Keys.requireValid(key);
        synchronized (backing) {
            requireOpen();
            return directChildren(key);
        }
    }

    private List<String> directChildren(String key) {
        String prefix = key + "/";
        List<String> names = new ArrayList<>();
        for (String candidate : backing.entries.tailMap(prefix, true).keySet()) {
            if (!candidate.startsWith(prefix)) {
                break;
            }
            String rest = candidate.substring(prefix.length());
            if (rest.indexOf('/') < 0) {
                names.add(rest);
            }
        }
        return names;
    }

    @Override
    public long put(String key, byte[] value, Precondition precondition) {
        return commit(List.of(Op.put(key, value, precondition))).getFirst().version();
    }

    @Override
    public boolean delete(String key, Precondition precondition) {
        Keys.requireValid(key);
        synchronized (backing) {
            requireOpen();
            if (!backing.entries.containsKey(key)) {
                return false;
            }
            commit(List.of(Op.delete(key, precondition)));
            return true;
        }
    }

    @Override
    public List<Op.Result> commit(List<Op> ops) {
        for (Op op : ops) {
            Keys.requireValid(op.key());
            if (op instanceof Op.Put put) {
                Keys.requireValidValue(put.key(), put.value());
            } else if (op instanceof Op.Append append) {
                Keys.requireValidValue(append.key(), append.value());
            }
        }
        synchronized (backing) {
            requireOpen();
            java.util.function.Consumer<List<Op>> interference = backing.interference;
            if (interference != null) {
                backing.interference = null;
                try {
                    interference.accept(List.copyOf(ops));
                } finally {
                    backing.interference = interference;
                }
            }
            // Like ZooKeeper's multi, each operation sees the effect of the ones before it.
            Map<String, Optional<Entry>> overlay = new HashMap<>();
            for (Op op : ops) {
                checkPrecondition(op, overlay);
            }
            List<Op.Result> results = new ArrayList<>();
            for (Op op : ops) {
                results.add(applyLocked(op));
            }
            return List.copyOf(results);
        }
    }

    private void checkPrecondition(Op op, Map<String, Optional<Entry>> overlay) {
        Entry entry = overlay.containsKey(op.key()) ? overlay.get(op.key()).orElse(null) : backing.entries.get(op.key());
        switch (op) {
            case Op.Put put -> {
                requireHolds(put.key(), entry, put.precondition());
                overlay.put(put.key(), Optional.of(new Entry(put.value(), entry == null ? 1 : entry.version + 1, null)));
            }
            case Op.Delete delete -> {
                if (entry == null) {
                    throw new PreconditionFailedException(delete.key(), "'" + delete.key() + "' does not exist");
                }
                requireHolds(delete.key(), entry, delete.precondition());
                if (!directChildren(delete.key()).isEmpty()) {
                    throw new MetadataException("cannot delete '" + delete.key() + "': it has children");
                }
                overlay.put(delete.key(), Optional.empty());
            }
            case Op.Check check -> requireHolds(check.key(), entry, Precondition.matchesVersion(check.version()));
            case Op.Append append -> {
                // Appends always apply.
            }
        }
    }

    private static void requireHolds(String key, Entry entry, Precondition precondition) {
        switch (precondition) {
            case Precondition.None none -> {
            }
            case Precondition.DoesNotExist absent -> {
                if (entry != null) {
                    throw new PreconditionFailedException(key, "'" + key + "' already exists (at v" + entry.version + ")");
                }
            }
            case Precondition.Exists exists -> {
                if (entry == null) {
                    throw new PreconditionFailedException(key, "'" + key + "' does not exist");
                }
            }
            case Precondition.MatchesVersion matches -> {
                if (entry == null) {
                    throw new PreconditionFailedException(key, "'" + key + "' does not exist (expected v" + matches.version() + ")");
                }
                if (entry.version != matches.version()) {
                    throw new PreconditionFailedException(key, "'" + key + "' is at v" + entry.version + ", expected v" + matches.version());
                }
            }
        }
    }

    private Op.Result applyLocked(Op op) {
        return switch (op) {
            case Op.Put put -> {
                createParents(put.key());
                Entry old = backing.entries.get(put.key());
                long version = old == null ? 1 : old.version + 1;
                store(put.key(), new Entry(put.value(), version, null));
                yield new Op.Result(version, 0);
            }
            case Op.Delete delete -> {
                backing.appendedAt.remove(delete.key());
                if (backing.entries.remove(delete.key()) != null) {
                    notifyWatches(delete.key(), Optional.empty());
                }
                yield new Op.Result(0, 0);
            }
            case Op.Check check -> new Op.Result(0, 0);
            case Op.Append append -> {
                createParents(append.key() + "/x");
                if (!backing.entries.containsKey(append.key())) {
                    store(append.key(), new Entry(new byte[0], 1, null));
                }
                long sequence = backing.logSequences.merge(append.key(), 1L, Long::sum) - 1;
                String entryKey = append.key() + "/" + Keys.logEntryName(sequence);
                store(entryKey, new Entry(append.value(), 1, null));
                backing.stampAppend(entryKey);
                yield new Op.Result(0, sequence);
            }
        };
    }

    private void createParents(String key) {
        int slash = key.indexOf('/');
        while (slash > 0) {
            String parent = key.substring(0, slash);
            if (!backing.entries.containsKey(parent)) {
                store(parent, new Entry(new byte[0], 1, null));
            }
            slash = key.indexOf('/', slash + 1);
        }
    }

    private void store(String key, Entry entry) {
        backing.entries.put(key, entry);
        notifyWatches(key, Optional.of(new Versioned(entry.value, entry.version)));
    }

    private void notifyWatches(String key, Optional<Versioned> value) {
        for (WatchImpl watch : backing.watches) {
            if (watch.covers(key)) {
                watch.enqueue(() -> watch.listener.onChange(key, value));
            }
        }
    }

    @Override
    public List<LogEntry> readLog(String logKey, long afterSequence, int limit) {
        Keys.requireValid(logKey);
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
        synchronized (backing) {
            requireOpen();
            List<LogEntry> entries = new ArrayList<>();
            for (String child : directChildren(logKey)) {
                long sequence = Keys.sequenceOf(child);
                if (sequence > afterSequence && entries.size() < limit) {
                    String key = logKey + "/" + child;
                    entries.add(new LogEntry(sequence, backing.entries.get(key).value(), backing.appendedAt.getOrDefault(key, Instant.EPOCH)));
                }
            }
            return List.copyOf(entries);
        }
    }

    @Override
    public EphemeralKey putEphemeral(String key, byte[] value) {
        Keys.requireValid(key);
        Keys.requireValidValue(key, value);
        synchronized (backing) {
            requireOpen();
            Entry existing = backing.entries.get(key);
            if (existing != null) {
                throw new PreconditionFailedException(key, "'" + key + "' already exists (at v" + existing.version + ")");
            }
            createParents(key);
            store(key, new Entry(value.clone(), 1, this));
            ephemeralKeys.add(key);
        }
        return new EphemeralKey() {
            @Override
            public String key() {
                return key;
            }

            @Override
            public void update(byte[] newValue) {
                Keys.requireValidValue(key, newValue);
                synchronized (backing) {
                    Entry current = backing.entries.get(key);
                    if (current != null && current.owner == InMemoryMetadataStore.this) {
                        store(key, new Entry(newValue.clone(), current.version + 1, InMemoryMetadataStore.this));
                    }
                }
            }

            @Override
            public void close() {
                synchronized (backing) {
                    removeEphemeral(key);
                }
            }
        };
    }

    private void removeEphemeral(String key) {
        Entry current = backing.entries.get(key);
        if (current != null && current.owner == this) {
            backing.entries.remove(key);
            notifyWatches(key, Optional.empty());
        }
        ephemeralKeys.remove(key);
    }

    @Override
    public LeaderElection elect(String key, String participantId) {
        Keys.requireValid(key);
        ElectionImpl election = new ElectionImpl(key, participantId);
        synchronized (backing) {
            requireOpen();
            List<ElectionImpl> queue = backing.elections.computeIfAbsent(key, k -> new ArrayList<>());
            queue.add(election);
            elections.add(election);
            if (queue.getFirst() == election) {
                election.becomeLeader();
            }
        }
        return election;
    }

    /** A participant queued in join order; the head of the queue leads. */
    private final class ElectionImpl implements LeaderElection {
        private final String key;
        private final String participantId;
        private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final ExecutorService dispatcher;
        private volatile boolean leader;

        ElectionImpl(String key, String participantId) {
            this.key = key;
            this.participantId = participantId;
            this.dispatcher = Executors.newSingleThreadExecutor(r -> {
                Thread thread = new Thread(r, "metadata-election-" + key);
                thread.setDaemon(true);
                return thread;
            });
        }

        void becomeLeader() {
            leader = true;
            synchronized (this) {
                notifyAll();
            }
            dispatch(listener -> listener.leadershipAcquired());
        }

        private void dispatch(java.util.function.Consumer<Listener> call) {
            if (!dispatcher.isShutdown()) {
                dispatcher.execute(() -> listeners.forEach(call));
            }
        }

        @Override
        public String participantId() {
            return participantId;
        }

        @Override
        public boolean isLeader() {
            return leader;
        }

        @Override
        public boolean awaitLeadership(java.time.Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (this) {
                while (!leader) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            }
            return true;
        }

        @Override
        public Optional<String> currentLeader() {
            synchronized (backing) {
                List<ElectionImpl> queue = backing.elections.getOrDefault(key, List.of());
                return queue.isEmpty() ? Optional.empty() : Optional.of(queue.getFirst().participantId);
            }
        }

        @Override
        public void addListener(Listener listener) {
            listeners.add(listener);
            if (leader) {
                dispatcher.execute(listener::leadershipAcquired);
            }
        }

        @Override
        public void close() {
            synchronized (backing) {
                leaveLocked();
            }
            dispatcher.shutdown();
        }

        void leaveLocked() {
            List<ElectionImpl> queue = backing.elections.getOrDefault(key, new ArrayList<>());
            boolean wasHead = !queue.isEmpty() && queue.getFirst() == this;
            queue.remove(this);
            elections.remove(this);
            if (leader) {
                leader = false;
                dispatch(listener -> listener.leadershipLost());
            }
            if (wasHead && !queue.isEmpty()) {
                queue.getFirst().becomeLeader();
            }
        }
    }

    @Override
    public Watch watch(String key, boolean recursive, WatchListener listener) {
        Keys.requireValid(key);
        WatchImpl watch = new WatchImpl(key, recursive, listener);
        synchronized (backing) {
            requireOpen();
            for (Map.Entry<String, Entry> entry : backing.entries.tailMap(key, true).entrySet()) {
                if (!watch.covers(entry.getKey())) {
                    if (!entry.getKey().startsWith(key)) {
                        break;
                    }
                    continue;
                }
                Versioned value = new Versioned(entry.getValue().value, entry.getValue().version);
                String changed = entry.getKey();
                watch.enqueue(() -> listener.onChange(changed, Optional.of(value)));
            }
            watch.enqueue(listener::onInitialized);
            backing.watches.add(watch);
            watches.add(watch);
        }
        return watch;
    }

    private final class WatchImpl implements Watch {
        private final String key;
        private final boolean recursive;
        private final WatchListener listener;
        private final ExecutorService dispatcher;

        WatchImpl(String key, boolean recursive, WatchListener listener) {
            this.key = key;
            this.recursive = recursive;
            this.listener = listener;
            this.dispatcher = Executors.newSingleThreadExecutor(r -> {
                Thread thread = new Thread(r, "metadata-watch-" + key);
                thread.setDaemon(true);
                return thread;
            });
        }

        boolean covers(String changed) {
            return changed.equals(key) || (recursive && changed.startsWith(key + "/"));
        }

        void enqueue(Runnable notification) {
            if (!dispatcher.isShutdown()) {
                dispatcher.execute(notification);
            }
        }

        @Override
        public void close() {
            synchronized (backing) {
                backing.watches.remove(this);
                watches.remove(this);
            }
            dispatcher.shutdown();
            try {
                dispatcher.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this metadata store session is closed");
        }
    }

    @Override
    public void close() {
        List<WatchImpl> toClose;
        synchronized (backing) {
            if (closed) {
                return;
            }
            for (String key : new ArrayList<>(ephemeralKeys)) {
                removeEphemeral(key);
            }
            for (ElectionImpl election : new ArrayList<>(elections)) {
                election.leaveLocked();
                election.dispatcher.shutdown();
            }
            closed = true;
            toClose = new ArrayList<>(watches);
        }
        toClose.forEach(WatchImpl::close);
    }

    @Override
    public String toString() {
        synchronized (backing) {
            return "InMemoryMetadataStore{" + (closed ? "closed" : "open") + ", keys=" + backing.entries.keySet() + "}";
        }
    }
}
