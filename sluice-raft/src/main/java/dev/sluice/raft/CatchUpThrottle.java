package dev.sluice.raft;

import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;

/**
 * Holds a worker's incoming catch-up traffic to its {@link TransferRate}: every snapshot chunk, and every batch of
 * log entries the leader had already committed when it sent them — what a new replica of a moving partition
 * receives — while appends the group still waits for, heartbeats and votes pass at once, so a throttled move never
 * slows the writes of the partitions this worker already serves.
 *
 * <p>Ratis 3.3 has no bandwidth setting, so this is a gRPC interceptor on the Raft server service, installed through
 * Ratis' services customizer. It waits on the receiving side, before Ratis sees the message: gRPC asks for a
 * stream's next message only when the last one was handled, so the HTTP/2 stream window fills and the leader's
 * sending stalls on that stream alone (gRPC refills the connection's window at once, so the other groups' streams
 * between the same two workers are not held up). Ratis serves these calls on gRPC's shared executor, never on the
 * network thread, so the wait blocks only the throttled stream.
 */
public final class CatchUpThrottle implements GrpcServices.Customizer {

    /** What kind of catch-up a message is. */
    public enum Kind {
        SNAPSHOT("snapshot"), LOG("log");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    private static final String APPEND = RaftServerProtocolServiceGrpc.getAppendEntriesMethod().getFullMethodName();
    private static final String INSTALL = RaftServerProtocolServiceGrpc.getInstallSnapshotMethod().getFullMethodName();

    private final TransferRate rate;
    private final AtomicLong snapshotBytes = new AtomicLong();
    private final AtomicLong logBytes = new AtomicLong();

    public CatchUpThrottle(TransferRate rate) {
        this.rate = rate;
    }

    public TransferRate rate() {
        return rate;
    }

    /** Catch-up bytes received of {@code kind}, limited or not. */
    public long bytes(Kind kind) {
        return kind == Kind.SNAPSHOT ? snapshotBytes.get() : logBytes.get();
    }

    @Override
    public NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
        if (types.contains(GrpcServices.Type.SERVER)) {
            builder.intercept(new Interceptor());
        }
        return builder;
    }

    /** The catch-up kind of a Raft server message, or {@code null} for one that must not wait. */
    static Kind kindOf(Object message) {
        if (message instanceof InstallSnapshotRequestProto) {
            return Kind.SNAPSHOT;
        }
        if (message instanceof AppendEntriesRequestProto append && append.getEntriesCount() > 0
                && append.getEntries(append.getEntriesCount() - 1).getIndex() <= append.getLeaderCommit()) {
            return Kind.LOG;
        }
        return null;
    }

    void admit(Object message) {
        Kind kind = kindOf(message);
        if (kind == null) {
            return;
        }
        long bytes = ((MessageLite) message).getSerializedSize();
        (kind == Kind.SNAPSHOT ? snapshotBytes : logBytes).addAndGet(bytes);
        try {
            rate.acquire(bytes);
        } catch (InterruptedException interrupted) {
            // The server is closing: let the message through, Ratis will drop it.
            Thread.currentThread().interrupt();
        }
    }

    private final class Interceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            String method = call.getMethodDescriptor().getFullMethodName();
            ServerCall.Listener<Q> listener = next.startCall(call, headers);
            if (!method.equals(APPEND) && !method.equals(INSTALL)) {
                return listener;
            }
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onMessage(Q message) {
                    admit(message);
                    super.onMessage(message);
                }
            };
        }
    }
}
