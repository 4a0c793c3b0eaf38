package dev.sluice.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class CatchUpThrottleTest {

    private static AppendEntriesRequestProto append(long leaderCommit, long... indexes) {
        AppendEntriesRequestProto.Builder builder = AppendEntriesRequestProto.newBuilder().setLeaderCommit(leaderCommit);
        for (long index : indexes) {
            builder.addEntries(LogEntryProto.newBuilder().setIndex(index).setTerm(1));
        }
        return builder.build();
    }

    @Test
    void snapshotsAndAlreadyCommittedEntriesAreCatchUpTheRestIsNot() {
        assertThat(CatchUpThrottle.kindOf(InstallSnapshotRequestProto.getDefaultInstance())).isEqualTo(CatchUpThrottle.Kind.SNAPSHOT);
        assertThat(CatchUpThrottle.kindOf(append(100, 40, 41, 42))).as("entries the others committed long ago").isEqualTo(CatchUpThrottle.Kind.LOG);
        assertThat(CatchUpThrottle.kindOf(append(100, 99, 100))).as("the last one committed too").isEqualTo(CatchUpThrottle.Kind.LOG);
        assertThat(CatchUpThrottle.kindOf(append(100, 100, 101))).as("the group waits for entry 101").isNull();
        assertThat(CatchUpThrottle.kindOf(append(100, 101))).as("ordinary replication").isNull();
        assertThat(CatchUpThrottle.kindOf(append(100))).as("a heartbeat").isNull();
        assertThat(CatchUpThrottle.kindOf(RequestVoteRequestProto.getDefaultInstance())).as("a vote").isNull();
    }

    @Test
    void catchUpWaitsForTheRateAndIsCountedByKindWhileOtherMessagesPassUntouched() {
        long[] now = {0};
        TransferRate rate = new TransferRate(TransferRate.MIN_BYTES_PER_SECOND, () -> now[0], nanos -> now[0] += nanos);
        CatchUpThrottle throttle = new CatchUpThrottle(rate);
        InstallSnapshotRequestProto chunk = InstallSnapshotRequestProto.newBuilder().setServerRequest(
                org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto.newBuilder().setCallId(1)
                        .setRequestorId(ByteString.copyFrom(new byte[512 * 1024]))).build();
        throttle.admit(chunk);
        throttle.admit(chunk);
        throttle.admit(append(100, 101));
        throttle.admit(append(100));
        assertThat(throttle.bytes(CatchUpThrottle.Kind.SNAPSHOT)).isEqualTo(2L * chunk.getSerializedSize());
        assertThat(throttle.bytes(CatchUpThrottle.Kind.LOG)).isZero();
        assertThat(rate.nanosWaited()).as("the second chunk waited for the first's half second")
                .isEqualTo((long) Math.ceil(chunk.getSerializedSize() * 1e9 / TransferRate.MIN_BYTES_PER_SECOND));
        throttle.admit(append(100, 50));
        assertThat(throttle.bytes(CatchUpThrottle.Kind.LOG)).isEqualTo(append(100, 50).getSerializedSize());
    }
}
