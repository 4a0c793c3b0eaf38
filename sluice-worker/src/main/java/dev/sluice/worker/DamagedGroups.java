package dev.sluice.worker;

import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Finds and mends the group directories a full disk left the Raft server unable to start from.
 *
 * <p>Ratis 3.3 writes a division's term and vote ({@code current/raft-meta}) through its
 * {@code AtomicFileOutputStream}, which moves its temporary file over the target even when writing it
 * failed: a term change while the disk is full leaves an empty {@code raft-meta}, and then the whole Raft
 * server refuses to start ({@code 'term' not found in properties: {}}) — every group on the node down, not
 * one. Seen when a node's disk filled while its partitions elected new leaders.
 *
 * <p>The mend rewrites only that file, as term 0 with no vote (what Ratis writes for a new division; the file
 * itself must exist, or Ratis takes the directory for an unformatted one): the division starts with its log
 * intact and takes the current term from the first leader that contacts it. Deleting the whole group directory
 * instead (and letting the leader stage it again) does not work: a Ratis leader never moves a follower's
 * next index below the match index it recorded, so a follower that comes back empty under the same leader
 * is sent entries it cannot append, for good (seen in {@code DamagedRaftMetaRestartTest}).
 *
 * <p>What is lost is the last vote. The one risk left: a candidate still campaigning in that very term
 * when the node comes back could get a second vote from it. An election lasts one election timeout (at
 * most 2 s), and the node comes back only after its disk was freed and checked, so that would take a
 * candidate stalled across the whole outage. The disk rule keeps it rare besides: it stops the Raft server
 * before the disk is full, and at once when a write fails for lack of space, before the others elect.
 */
final class DamagedGroups {

    static final String RAFT_META = "raft-meta";

    private DamagedGroups() {}

    /** Every group directory under {@code raftDirectory} the server could not start from, with why. */
    static Map<Path, String> find(Path raftDirectory) throws IOException {
        Map<Path, String> damaged = new TreeMap<>();
        if (!Files.isDirectory(raftDirectory)) {
            return damaged;
        }
        List<Path> groups;
        try (Stream<Path> children = Files.list(raftDirectory)) {
            groups = children.filter(Files::isDirectory).toList();
        }
        for (Path group : groups) {
            problem(group).ifPresent(why -> damaged.put(group, why));
        }
        return damaged;
    }

    /** Why the server could not start from {@code group}, or empty when it can as far as this check knows. */
    static Optional<String> problem(Path group) throws IOException {
        Path meta = raftMeta(group);
        if (!Files.exists(meta)) {
            // A division that never changed its term has none; Ratis starts it at term 0.
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IllegalArgumentException malformed) {
            return Optional.of(meta + " is malformed: " + malformed.getMessage());
        }
        String term = properties.getProperty("term");
        if (term == null || properties.getProperty("votedFor") == null) {
            return Optional.of(meta + " has no term or vote (" + Files.size(meta) + " bytes)");
        }
        try {
            Long.parseLong(term.trim());
        } catch (NumberFormatException malformed) {
            return Optional.of(meta + " holds the term '" + term + "'");
        }
        return Optional.empty();
    }

    /**
     * Forgets a damaged group's term and vote; its log, snapshots and configuration stay. The new file is
     * written beside the old one, synced, then moved over it, so this cannot leave another empty one.
     */
    static void mend(Path group) throws IOException {
        Path meta = raftMeta(group);
        Path temporary = meta.resolveSibling(RAFT_META + ".sluice-mend");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(MENDED.getBytes(StandardCharsets.ISO_8859_1)));
            channel.force(true);
        }
        Files.move(temporary, meta, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A Ratis raft-meta at term 0 with no vote, in the {@link Properties} format Ratis reads. */
    static final String MENDED = "#written by the Sluice worker: a full disk had emptied this file\nterm=0\nvotedFor=\n";

    private static Path raftMeta(Path group) {
        return group.resolve("current").resolve(RAFT_META);
    }
}
