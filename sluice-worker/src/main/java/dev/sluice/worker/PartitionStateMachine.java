package dev.sluice.worker;

import dev.sluice.model.PartitionId;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
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

    public PartitionStateMachine(PartitionId partition, PartitionLogic logic) {
        this.partition = partition;
        this.logic = logic;
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

    @Override
    public long takeSnapshot() throws IOException {
        lock.readLock().lock();
        try {
            TermIndex last = getLastAppliedTermIndex();
            if (last == null || last.getIndex() < 0) {
                return RaftLog.INVALID_LOG_INDEX;
            }
            Path target = storage.getSnapshotFile(last.getTerm(), last.getIndex()).toPath();
            Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temporary))) {
                logic.snapshot(out);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(target.toFile());
            storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target, md5), last));
            return last.getIndex();
        } finally {
            lock.readLock().unlock();
        }
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
