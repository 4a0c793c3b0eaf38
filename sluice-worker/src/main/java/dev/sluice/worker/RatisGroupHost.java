package dev.sluice.worker;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.PartitionGroups;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;

/**
 * {@link GroupHost} on the worker's Ratis server: the only place the reconciler's decisions turn into Ratis
 * group-management calls. Owns nothing but the client id and call counter those calls carry.
 */
final class RatisGroupHost implements GroupHost {

    private final Supplier<RaftServer> server;
    private final PartitionGroups groups;
    private final IntSupplier partitionCount;
    private final Path raftDirectory;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();

    RatisGroupHost(Supplier<RaftServer> server, PartitionGroups groups, IntSupplier partitionCount, Path raftDirectory) {
        this.server = server;
        this.groups = groups;
        this.partitionCount = partitionCount;
        this.raftDirectory = raftDirectory;
    }

    @Override
    public Map<PartitionId, GroupState> groups() {
        RaftServer current = server.get();
        Map<PartitionId, GroupState> listed = new TreeMap<>();
        if (current == null) {
            return listed;
        }
        for (RaftGroupId groupId : current.getGroupIds()) {
            groups.partitionOf(groupId, partitionCount.getAsInt()).ifPresent(partition -> {
                try {
                    listed.put(partition, stateOf(current.getDivision(groupId)));
                } catch (GroupMismatchException removedMeanwhile) {
                    // Gone between the listing and the look-up: not listed.
                } catch (IOException | RuntimeException unreadable) {
                    // The division failed to come up (its start-up future failed) yet stays listed.
                    listed.put(partition, GroupState.BROKEN);
                }
            });
        }
        return listed;
    }

    /** The one rule turning a division's life cycle into what the reconciler and the status act on. */
    static GroupState stateOf(RaftServer.Division division) {
        return switch (division.getInfo().getLifeCycleState()) {
            case NEW, STARTING -> GroupState.STARTING;
            // Paused only while a snapshot is being installed; it resumes by itself.
            case RUNNING, PAUSING, PAUSED -> leadsOthers(division) ? GroupState.LEADING : GroupState.SERVING;
            case EXCEPTION, CLOSING, CLOSED -> GroupState.BROKEN;
        };
    }

    /** Leads, and the configuration names another voter leadership could move to. */
    private static boolean leadsOthers(RaftServer.Division division) {
        if (!division.getInfo().isLeader()) {
            return false;
        }
        RaftConfiguration conf = division.getRaftConf();
        return Stream.concat(conf.getCurrentPeers().stream(), conf.getPreviousPeers().stream())
                .anyMatch(peer -> !peer.getId().equals(division.getId()));
    }

    @Override
    public Set<PartitionId> groupsOnDisk() {
        Set<PartitionId> found = new TreeSet<>();
        if (!Files.isDirectory(raftDirectory)) {
            return found;
        }
        try (Stream<Path> children = Files.list(raftDirectory)) {
            for (Path child : children.filter(Files::isDirectory).toList()) {
                parseGroupId(child.getFileName().toString())
                        .flatMap(groupId -> groups.partitionOf(groupId, partitionCount.getAsInt()))
                        .ifPresent(found::add);
            }
        } catch (IOException unreadable) {
            // Nothing learnt this time; the next pass lists again.
        }
        return found;
    }

    private static java.util.Optional<RaftGroupId> parseGroupId(String name) {
        try {
            return java.util.Optional.of(RaftGroupId.valueOf(UUID.fromString(name)));
        } catch (IllegalArgumentException notAGroup) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public boolean add(PartitionId partition, List<NodeConfig> peers) throws IOException {
        RaftServer current = requireServer();
        try {
            RaftClientReply reply = current.groupManagement(GroupManagementRequest.newAdd(clientId, current.getId(), callIds.incrementAndGet(),
                    groups.group(partition, peers)));
            if (!reply.isSuccess()) {
                throw new IOException("adding " + partition + " failed: " + reply.getException());
            }
            return true;
        } catch (AlreadyExistsException exists) {
            return false;
        }
    }

    @Override
    public boolean remove(PartitionId partition) throws IOException {
        RaftServer current = requireServer();
        try {
            RaftClientReply reply = current.groupManagement(GroupManagementRequest.newRemove(clientId, current.getId(), callIds.incrementAndGet(),
                    groups.groupId(partition), false, false));
            if (reply.getException() instanceof GroupMismatchException) {
                return false;
            }
            if (!reply.isSuccess()) {
                throw new IOException("removing " + partition + " failed: " + reply.getException());
            }
            return true;
        } catch (GroupMismatchException notThere) {
            return false;
        }
    }

    /**
     * Ratis's group remove takes the group off the server's list, closes the division on the calling thread
     * and then waits on a latch that the division's close counts down. A close that another thread began
     * (and never finished) or that never ran leaves the call parked on that latch for good — the hang seen
     * after a removal raced a leadership change. That is the only shape recognised here: the call parked in
     * {@code groupRemove} and not inside a close, and no thread of the process inside a division's close
     * either (a close still running elsewhere could still write the group's files).
     */
    @Override
    public boolean removeWaitsForNothing(Thread call) {
        if (call == null) {
            return false;
        }
        StackTraceElement[] frames = call.getStackTrace();
        boolean parkedInGroupRemove = call.getState() == Thread.State.WAITING
                && java.util.Arrays.stream(frames).anyMatch(frame -> isDivisionMethod(frame, "groupRemove"))
                && java.util.Arrays.stream(frames).noneMatch(RatisGroupHost::isInDivisionClose);
        if (!parkedInGroupRemove) {
            return false;
        }
        return Thread.getAllStackTraces().values().stream().noneMatch(stack -> java.util.Arrays.stream(stack).anyMatch(RatisGroupHost::isInDivisionClose));
    }

    private static boolean isDivisionMethod(StackTraceElement frame, String method) {
        return frame.getClassName().equals("org.apache.ratis.server.impl.RaftServerImpl") && frame.getMethodName().equals(method);
    }

    private static boolean isInDivisionClose(StackTraceElement frame) {
        return frame.getClassName().equals("org.apache.ratis.server.impl.RaftServerImpl") && frame.getMethodName().startsWith("lambda$close");
    }

    @Override
    public void deleteFiles(PartitionId partition) throws IOException {
        Path directory = raftDirectory.resolve(groups.groupId(partition).getUuid().toString());
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private RaftServer requireServer() throws IOException {
        RaftServer current = server.get();
        if (current == null) {
            throw new IOException("the Raft server is not running");
        }
        return current;
    }
}
