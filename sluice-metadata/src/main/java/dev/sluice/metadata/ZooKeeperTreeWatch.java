package dev.sluice.metadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.recipes.watch.PersistentWatcher;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch on a key and everything below it, for {@link ZooKeeperMetadataStore#watch}: one ZooKeeper persistent
 * recursive watch (one registration on the server however many keys lie below), a first load that reads the tree
 * with overlapped requests, and one read per change after.
 *
 * <p>It replaces Curator's {@code CuratorCache}, which kept a second copy of every value, sent two requests per key
 * on its first load (its data and its children) where this sends a few hundred keys to a request, and, when a listing failed — {@code placements/} with 110,000
 * children is a reply the client refuses — reported itself initialized with what it had: a watcher of 110,000
 * placements was told there were none (docs/benchmarks.md, "Metadata at size"). Here a first load that fails is
 * retried when the connection returns and never reported as done.
 *
 * <p>Order: ZooKeeper delivers a session's watch events and replies in the order the server applied them, and the
 * client runs watchers and callbacks on one thread; every value and deletion goes from there to one dispatcher
 * thread in that order, so a key's notifications never go back in version. The dispatcher drops a value it already
 * delivered (several changes in a burst each trigger a read that may find the newest) and a deletion of a key it
 * never delivered.
 *
 * <p>What it delivered: the dispatcher keeps, per key, the version it delivered and the zxid that created the znode
 * ({@code Stat.czxid}). A key deleted and created again starts again at v1, so by its version alone a re-created key
 * looked older than what was delivered and its new value was dropped; its creation zxid is new and higher, which
 * tells the two apart (index entries under {@code placements-by-node/} are deleted and created again as replica sets
 * change); such a key gets its deletion and then its new value, as when the watch saw both happen. A load after the
 * first (the connection came back) sees no deletion events for what was deleted while the connection was away, so
 * when it ends the dispatcher reports the deletion of every key it delivered that neither that load nor a
 * notification since it started has seen.
 */
final class ZooKeeperTreeWatch implements Watch {

    private static final Logger log = LoggerFactory.getLogger(ZooKeeperTreeWatch.class);

    private final ZooKeeperMetadataStore store;
    private final CuratorFramework client;
    private final String path;
    private final String key;
    private final WatchListener listener;
    /** The largest value expected below the key, which sets how many a batched read asks for at once. */
    private final int valueBytesMax;
    private final ExecutorService dispatcher;
    private final PersistentWatcher watcher;
    /** What was delivered, by key; only the dispatcher thread touches it. */
    private final Map<String, Delivered> delivered = new HashMap<>();
    /** Loads started, counted on the dispatcher thread in notification order; only the dispatcher thread touches it. */
    private long loadsStarted;
    private final AtomicBoolean loading = new AtomicBoolean();
    /** A registration (or a failed load) asks for a load; one runs at a time, and one more after it if asked meanwhile. */
    private final AtomicBoolean loadAgain = new AtomicBoolean();
    /** How long a failed load waits before the next try, when the connection has not come back to prompt one. */
    static final java.time.Duration LOAD_RETRY_PAUSE = java.time.Duration.ofSeconds(5);
    private volatile boolean loaded;
    private volatile boolean closed;

    ZooKeeperTreeWatch(ZooKeeperMetadataStore store, CuratorFramework client, String path, String key, int valueBytesMax, WatchListener listener) {
        this.valueBytesMax = valueBytesMax;
        this.store = store;
        this.client = client;
        this.path = path;
        this.key = key;
        this.listener = listener;
        this.dispatcher = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "zk-watch-" + key);
            thread.setDaemon(true);
            return thread;
        });
        this.watcher = new PersistentWatcher(client, path, true);
        watcher.getListenable().addListener(this::onEvent);
        watcher.getResetListenable().addListener(this::onRegistered);
    }

    void start() {
        watcher.start();
    }

    /**
     * The watch is registered: at first, or again after the connection came back. Either way the tree is read:
     * changes made before a first registration, or while the connection was away, reach the listener no other way.
     * A read after the first ends with the deletions it found and {@link WatchListener#onResync}, since changes in
     * between were not seen one by one.
     */
    private void onRegistered() {
        loadAgain.set(true);
        startLoading();
    }

    private void startLoading() {
        if (!closed && loadAgain.get() && loading.compareAndSet(false, true)) {
            loadAgain.set(false);
            Thread loader = new Thread(this::load, "zk-watch-load-" + key);
            loader.setDaemon(true);
            loader.start();
        }
    }

    /** On the client's event thread. */
    private void onEvent(WatchedEvent event) {
        if (closed || event.getPath() == null) {
            return;
        }
        String changed = event.getPath();
        switch (event.getType()) {
            case NodeCreated, NodeDataChanged -> read(changed);
            case NodeDeleted -> dispatch(() -> deliverDeletion(store.keyOf(changed)));
            default -> {
                // Persistent recursive watches send no child events; connection states reach onRegistered.
            }
        }
    }

    /**
     * Reads the tree level by level: each level's values with batched reads ({@link ZooKeeperMetadataStore#readBatched}),
     * then the children of the keys whose stat says they have some. Leaves, which is nearly every key, are never
     * listed.
     */
    private void load() {
        try {
            dispatch(() -> loadsStarted++);
            List<String> level = List.of(path);
            while (!level.isEmpty() && !closed) {
                List<String> parents = new ArrayList<>();
                store.readBatched(level, valueBytesMax, key, (read, data, stat) -> {
                    Versioned value = new Versioned(data == null ? new byte[0] : data, stat.getVersion() + 1L);
                    String readKey = store.keyOf(read);
                    long created = stat.getCzxid();
                    dispatch(() -> deliver(readKey, value, created));
                    if (stat.getNumChildren() > 0) {
                        parents.add(read);
                    }
                });
                List<String> children = new ArrayList<>();
                for (String parent : parents) {
                    for (String child : store.childrenOfPath(parent)) {
                        children.add(ZKPaths.makePath(parent, child));
                    }
                }
                level = children;
            }
            if (!closed) {
                dispatch(this::deliverDeletionsUnseen);
                dispatch(loaded ? listener::onResync : listener::onInitialized);
                loaded = true;
            }
        } catch (Exception failed) {
            if (failed instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (!closed) {
                log.warn("could not read the keys under '{}' for a watch; trying again in {}: {}", key, LOAD_RETRY_PAUSE, failed.toString());
                dispatch(() -> listener.onLoadFailed(failed));
                java.util.concurrent.CompletableFuture.delayedExecutor(LOAD_RETRY_PAUSE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .execute(this::onRegistered);
            }
        } finally {
            loading.set(false);
        }
        startLoading();
    }

    /** Reads {@code changed} in the background and hands its value to the dispatcher, in reply order. */
    private void read(String changed) {
        BackgroundCallback callback = (curator, event) -> {
            // Anything but OK leaves nothing to deliver: NONODE means deleted since, and its deletion event is (or was)
            // delivered in order; a lost connection ends in a registration, which reads the tree again.
            if (KeeperException.Code.get(event.getResultCode()) == KeeperException.Code.OK) {
                Versioned value = new Versioned(event.getData() == null ? new byte[0] : event.getData(), event.getStat().getVersion() + 1L);
                String changedKey = store.keyOf(event.getPath());
                long created = event.getStat().getCzxid();
                dispatch(() -> deliver(changedKey, value, created));
            }
        };
        try {
            client.getData().inBackground(callback).forPath(changed);
        } catch (Exception failed) {
            // Curator reports a closed client here; nothing is left to watch.
            log.warn("could not read '{}' for a watch: {}", changed, failed.toString());
        }
    }

    /**
     * What the dispatcher delivered of one key.
     *
     * @param version the version delivered
     * @param createdZxid the zxid of the znode's creation: higher for a key deleted and created again
     * @param seenByLoad the number of loads started when a read last found the key (a load or a notification)
     */
    private record Delivered(long version, long createdZxid, long seenByLoad) {}

    /** On the dispatcher thread: {@code changedKey} holds {@code value} in the znode created at {@code createdZxid}. */
    private void deliver(String changedKey, Versioned value, long createdZxid) {
        Delivered before = delivered.get(changedKey);
        if (before != null && createdZxid < before.createdZxid()) {
            // A read of the znode before it was deleted and created again: the newer one was delivered already.
            return;
        }
        if (before != null && createdZxid == before.createdZxid() && value.version() <= before.version()) {
            delivered.put(changedKey, new Delivered(before.version(), createdZxid, loadsStarted));
            return;
        }
        if (before != null && createdZxid > before.createdZxid()) {
            // Created again while the watch was away: its deletion first, as a watch that saw it would have delivered,
            // so that a listener keeping the highest version takes the new v1.
            listener.onChange(changedKey, Optional.empty());
        }
        delivered.put(changedKey, new Delivered(value.version(), createdZxid, loadsStarted));
        listener.onChange(changedKey, Optional.of(value));
    }

    /** On the dispatcher thread. */
    private void deliverDeletion(String changedKey) {
        if (delivered.remove(changedKey) != null) {
            listener.onChange(changedKey, Optional.empty());
        }
    }

    /**
     * On the dispatcher thread, once a load ended: every key delivered that was not read since the load started was
     * deleted while the watch could not see it. A key created or changed during the load was read by its notification,
     * which counts.
     */
    private void deliverDeletionsUnseen() {
        List<String> gone = new ArrayList<>();
        delivered.forEach((deliveredKey, what) -> {
            if (what.seenByLoad() < loadsStarted) {
                gone.add(deliveredKey);
            }
        });
        gone.sort(null);
        gone.forEach(this::deliverDeletion);
    }

    private void dispatch(Runnable notification) {
        if (!closed) {
            ZooKeeperMetadataStore.dispatch(dispatcher, notification);
        }
    }

    @Override
    public void close() {
        closed = true;
        watcher.close();
        dispatcher.shutdown();
        store.forget(this);
    }
}
