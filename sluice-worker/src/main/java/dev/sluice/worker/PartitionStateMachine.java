package dev.sluice.worker;

import dev.sluice.model.PartitionId;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;

/**
 * The Ratis state machine of one partition replica: it owns the replica's snapshot files and the lock
 * around its {@link PartitionLogic}, and adapts Ratis' calls to the logic's.
 *
 * <p>Snapshot installation: when a leader sends a snapshot to a new or lagging replica, Ratis writes the
 * files into this replica's state-machine directory, then calls {@link #pause()} and
 * {@link #reinitialize()}; Ratis asserts the state machine is paused in between. The base class does
 * nothing in either, so a replica built on it fails on its first install: here they swap the state for the
 * installed snapshot.
 *
 * <p>Public so the bare-Ratis drain baseline ({@code RatisDrainBaseline} in the testkit) runs exactly the
 * state machine a worker runs; nothing else outside this package should need it.
 */
public final class PartitionStateMachine extends BaseStateMachine {

    private final PartitionId partition;
    private final PartitionLogic logic;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Consumer<Throwable> logFailures;
    private final BooleanSupplier snapshotsAllowed;
    private final Runnable leaderChanged;

    public PartitionStateMachine(PartitionId partition, PartitionLogic logic) {
        this(partition, logic, failure -> {}, () -> true, () -> {});
    }

    /**
     * @param logFailures told when Ratis fails to write this replica's log (on Ratis's log thread: it must
     *     not block); the worker's disk guard listens for a full disk there
     * @param snapshotsAllowed whether a snapshot may be written now: not while the worker stops its Raft
     *     server for a critical disk, when Ratis would snapshot every division on the way down into the little
     *     space left
     * @param leaderChanged told when this replica learns of a new leader or, leading, becomes ready (on a Ratis
     *     thread, under its locks: it must not block); a shutting-down worker waits on it for the leaders it handed
     *     its leaderships to, a request to a leader not ready yet for it to become ready
     */
    PartitionStateMachine(PartitionId partition, PartitionLogic logic, Consumer<Throwable> logFailures, BooleanSupplier snapshotsAllowed,
            Runnable leaderChanged) {
        this.partition = partition;
        this.logic = logic;
        this.logFailures = logFailures;
        this.snapshotsAllowed = snapshotsAllowed;
        this.leaderChanged = leaderChanged;
    }

    PartitionId partition() {
        return partition;
    }

    long stateBytes() {
        return logic.sizeBytes();
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, raftStorage);
            storage.init(raftStorage);
            load(storage.getLatestSnapshot());
        });
    }

    @Override
    public void pause() {
        lock.writeLock().lock();
        try {
            if (getLifeCycleState() == LifeCycle.State.RUNNING) {
                getLifeCycle().transition(LifeCycle.State.PAUSING);
                getLifeCycle().transition(LifeCycle.State.PAUSED);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void reinitialize() throws IOException {
        lock.writeLock().lock();
        try {
            load(storage.loadLatestSnapshot());
            if (getLifeCycleState() == LifeCycle.State.PAUSED) {
                getLifeCycle().transition(LifeCycle.State.STARTING);
                getLifeCycle().transition(LifeCycle.State.RUNNING);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Replaces the state with {@code snapshot}'s, or leaves it empty when there is none. */
    private void load(SingleFileSnapshotInfo snapshot) throws IOException {
        lock.writeLock().lock();
        try {
            logic.clear();
            setLastAppliedTermIndex(null);
            if (snapshot == null) {
                return;
            }
            Path file = snapshot.getFile().getPath();
            if (!Files.exists(file)) {
                throw new IOException(partition + ": snapshot file " + file + " is missing");
            }
            MD5Hash expected = snapshot.getFile().getFileDigest();
            if (expected != null) {
                MD5FileUtil.verifySavedMD5(file.toFile(), expected);
            }
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
                logic.restore(in);
            }
            setLastAppliedTermIndex(snapshot.getTermIndex());
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Writes the snapshot so that a failure at any point (a full disk, above all) leaves the previous
     * snapshot the newest complete one: the state and its MD5 each go to a temporary file, synced, then
     * moved into place — the MD5 file first, the snapshot last, since Ratis only looks for snapshot files.
     * Ratis's own {@code MD5FileUtil.saveMD5File} is not used: on a write error it still moves its empty
     * temporary file over the target, and an empty MD5 file makes the replica fail to start.
     */
    @Override
    public long takeSnapshot() throws IOException {
        lock.readLock().lock();
        try {
            TermIndex last = getLastAppliedTermIndex();
            if (last == null || last.getIndex() < 0 || !snapshotsAllowed.getAsBoolean()) {
                // Nothing taken: Ratis keeps the log, which the snapshot would only have allowed to purge.
                return RaftLog.INVALID_LOG_INDEX;
            }
            Path target = storage.getSnapshotFile(last.getTerm(), last.getIndex()).toPath();
            if (Files.exists(target)) {
                // Taken already at this index (a snapshot on stop right after an automatic one): the same state.
                return last.getIndex();
            }
            Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
            Path digestFile = MD5FileUtil.getDigestFileForFile(target.toFile()).toPath();
            Path digestTemporary = digestFile.resolveSibling(digestFile.getFileName() + ".tmp");
            boolean placed = false;
            try {
                try (FileOutputStream file = new FileOutputStream(temporary.toFile());
                        OutputStream out = new BufferedOutputStream(file)) {
                    logic.snapshot(out);
                    out.flush();
                    file.getFD().sync();
                }
                MD5Hash md5 = MD5FileUtil.computeMd5ForFile(temporary.toFile());
                try (FileOutputStream file = new FileOutputStream(digestTemporary.toFile())) {
                    // The line MD5FileUtil reads back: "<hex> *<file name>".
                    file.write((md5 + " *" + target.getFileName() + "\n").getBytes(StandardCharsets.UTF_8));
                    file.getFD().sync();
                }
                Files.move(digestTemporary, digestFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                placed = true;
                storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target, md5), last));
                return last.getIndex();
            } finally {
                Files.deleteIfExists(temporary);
                Files.deleteIfExists(digestTemporary);
                if (!placed) {
                    Files.deleteIfExists(digestFile);
                }
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void notifyLogFailed(Throwable cause, LogEntryProto failedEntry) {
        logFailures.accept(cause);
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeader) {
        leaderChanged.run();
    }

    /** A leader elected here committed the first entry of its term: requests waiting for it may go ahead. */
    @Override
    public void notifyLeaderReady() {
        leaderChanged.run();
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext transaction) {
        LogEntryProto entry = transaction.getLogEntry();
        byte[] reply;
        lock.writeLock().lock();
        try {
            try {
                reply = logic.apply(entry.getStateMachineLogEntry().getLogData().toByteArray());
            } catch (RuntimeException rejected) {
                // A command the logic refuses is still consumed, identically on every replica.
                updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
                return CompletableFuture.failedFuture(rejected);
            }
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        } finally {
            lock.writeLock().unlock();
        }
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(reply)));
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        lock.readLock().lock();
        try {
            return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(logic.query(request.getContent().toByteArray()))));
        } catch (RuntimeException rejected) {
            return CompletableFuture.failedFuture(rejected);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            logic.clear();
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "PartitionStateMachine{" + partition + "}";
    }
}
