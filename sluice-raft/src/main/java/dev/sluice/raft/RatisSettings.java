package dev.sluice.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * The Ratis settings of a worker, with the reasons they differ from Ratis' defaults (measured on a
 * 2-core machine with hundreds of divisions per JVM; see {@code docs/worker.md}).
 *
 * @param rpcTimeoutMin the election timeout floor; the leader's heartbeat period is half of it. Ratis'
 *     150 ms caused endless elections at 288 divisions; 1 s keeps a few hundred divisions quiet
 * @param rpcTimeoutMax the election timeout ceiling; the spread de-synchronises candidates
 * @param requestTimeout how long a server-side request (append, install snapshot chunk) may take
 * @param appenderBufferBytes the largest batch of entries in one append, and so the largest entry
 * @param writeBufferBytes the log writer's buffer; must be at least {@code appenderBufferBytes + 8}
 * @param preallocatedBytes disk preallocated per log segment; Ratis' default 4 MiB (plus an 8 MiB direct
 *     buffer) per division is far too much at a hundred divisions
 * @param segmentSizeMaxBytes a closed log segment's size; purging works segment by segment
 * @param snapshotThresholdEntries take a snapshot after this many applied entries, then purge the log
 *     below it, so a new replica catches up by snapshot plus a short log
 * @param purgeGap purge only when at least this many entries can go
 */
public record RatisSettings(
        Duration rpcTimeoutMin,
        Duration rpcTimeoutMax,
        Duration requestTimeout,
        long appenderBufferBytes,
        long writeBufferBytes,
        long preallocatedBytes,
        long segmentSizeMaxBytes,
        long snapshotThresholdEntries,
        int purgeGap) {

    /** Ratis needs the write buffer to hold the largest entry plus its 8-byte frame. */
    static final long ENTRY_FRAME_BYTES = 8;
    /** Old snapshots kept next to the newest one. */
    static final int SNAPSHOT_FILES_KEPT = 2;

    public RatisSettings {
        if (rpcTimeoutMin.compareTo(Duration.ofMillis(100)) < 0 || rpcTimeoutMax.compareTo(rpcTimeoutMin) <= 0) {
            throw new IllegalArgumentException("need 100 ms <= rpc timeout min < max, got " + rpcTimeoutMin + " and " + rpcTimeoutMax);
        }
        if (writeBufferBytes < appenderBufferBytes + ENTRY_FRAME_BYTES) {
            throw new IllegalArgumentException("the log write buffer (" + writeBufferBytes + " B) must be at least the appender buffer ("
                    + appenderBufferBytes + " B) + " + ENTRY_FRAME_BYTES);
        }
        if (segmentSizeMaxBytes < appenderBufferBytes) {
            throw new IllegalArgumentException("a log segment (" + segmentSizeMaxBytes + " B) must hold the largest entry (" + appenderBufferBytes + " B)");
        }
        if (snapshotThresholdEntries < 1 || purgeGap < 1) {
            throw new IllegalArgumentException("snapshot threshold and purge gap must be positive");
        }
    }

    /** The settings measured in {@code docs/benchmarks.md}. */
    public static RatisSettings defaults() {
        return new RatisSettings(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
                1024 * 1024, 1056 * 1024, 1024 * 1024, 8 * 1024 * 1024, 10_000, 1024);
    }

    public RatisSettings withSnapshotThreshold(long entries, int gap) {
        return new RatisSettings(rpcTimeoutMin, rpcTimeoutMax, requestTimeout, appenderBufferBytes, writeBufferBytes,
                preallocatedBytes, segmentSizeMaxBytes, entries, gap);
    }

    /** Smaller segments let the log be purged sooner after a snapshot (tests use it to force snapshot installs). */
    public RatisSettings withSegmentSize(long bytes) {
        return new RatisSettings(rpcTimeoutMin, rpcTimeoutMax, requestTimeout, appenderBufferBytes, writeBufferBytes,
                preallocatedBytes, bytes, snapshotThresholdEntries, purgeGap);
    }

    public RatisSettings withRpcTimeouts(Duration min, Duration max) {
        return new RatisSettings(min, max, requestTimeout, appenderBufferBytes, writeBufferBytes,
                preallocatedBytes, segmentSizeMaxBytes, snapshotThresholdEntries, purgeGap);
    }

    /** Server properties for a worker keeping its groups under {@code storage} and listening on {@code host:port}. */
    public RaftProperties serverProperties(Path storage, String host, int port) {
        RaftProperties properties = new RaftProperties();
        // gRPC, not Netty: Netty serves every request on its network thread, and one slow request stalled every group.
        RaftConfigKeys.Rpc.setType(properties, SupportedRpcType.GRPC);
        GrpcConfigKeys.Server.setHost(properties, host);
        GrpcConfigKeys.Server.setPort(properties, port);
        RaftServerConfigKeys.setStorageDir(properties, List.of(storage.toFile()));
        RaftServerConfigKeys.Rpc.setTimeoutMin(properties, duration(rpcTimeoutMin));
        RaftServerConfigKeys.Rpc.setTimeoutMax(properties, duration(rpcTimeoutMax));
        RaftServerConfigKeys.Rpc.setRequestTimeout(properties, duration(requestTimeout));
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(properties, SizeInBytes.valueOf(appenderBufferBytes));
        RaftServerConfigKeys.Log.setWriteBufferSize(properties, SizeInBytes.valueOf(writeBufferBytes));
        RaftServerConfigKeys.Log.setPreallocatedSize(properties, SizeInBytes.valueOf(preallocatedBytes));
        RaftServerConfigKeys.Log.setSegmentSizeMax(properties, SizeInBytes.valueOf(segmentSizeMaxBytes));
        // A new replica catches up from a snapshot plus the log after it.
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(properties, true);
        // Snapshot chunks no larger than an append batch: Ratis' 16 MiB chunk would wait 16 s for a catch-up limit of
        // 1 MiB/s (CatchUpThrottle), longer than the leader waits for its reply.
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(properties, SizeInBytes.valueOf(appenderBufferBytes));
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(properties, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(properties, snapshotThresholdEntries);
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(properties, SNAPSHOT_FILES_KEPT);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(properties, true);
        RaftServerConfigKeys.Log.setPurgeGap(properties, purgeGap);
        // Reads from the leader are linearizable (read index, shortened by the leader lease).
        RaftServerConfigKeys.Read.setOption(properties, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setLeaderLeaseEnabled(properties, true);
        // Removing a group must not leave a copy behind: its data is deleted, not parked.
        RaftServerConfigKeys.Snapshot.setTriggerWhenRemoveEnabled(properties, false);
        return properties;
    }

    /** Client properties for admin calls: every attempt is bounded by {@code timeout}. */
    public static RaftProperties clientProperties(Duration timeout) {
        RaftProperties properties = new RaftProperties();
        RaftConfigKeys.Rpc.setType(properties, SupportedRpcType.GRPC);
        org.apache.ratis.client.RaftClientConfigKeys.Rpc.setRequestTimeout(properties, duration(timeout));
        return properties;
    }

    public static TimeDuration duration(Duration duration) {
        return TimeDuration.valueOf(duration.toMillis(), TimeUnit.MILLISECONDS);
    }
}
