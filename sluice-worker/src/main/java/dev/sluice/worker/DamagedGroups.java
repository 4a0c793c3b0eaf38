package dev.sluice.worker;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Finds the group directories a full disk damaged so that the Raft server cannot start from them.
 *
 * <p>Ratis 3.3 writes a division's term and vote ({@code current/raft-meta}) through its
 * {@code AtomicFileOutputStream}, which moves its temporary file over the target even when writing it
 * failed: a term change while the disk is full leaves an empty {@code raft-meta}, and then the whole Raft
 * server refuses to start ({@code 'term' not found in properties: {}}) — every group on the node down, not
 * one. Seen when a node's disk filled while its partitions elected new leaders.
 *
 * <p>What was lost is the division's last term and vote, and neither can be made up safely (a made-up
 * term could let it vote twice in one term). The worker deletes such a directory before it starts the
 * server: the group is then missing, the reconciler creates it empty and the leader stages it again, as
 * for any repaired group — the lost-disk case docs/worker.md describes, which needs a majority elsewhere.
 * The disk rule makes this rare: it stops the Raft server before the disk is full, and at once when a write
 * fails for lack of space, before the other members elect.
 */
final class DamagedGroups {

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
        Path meta = group.resolve("current").resolve("raft-meta");
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

    /** Deletes a damaged group directory and what is in it. */
    static void delete(Path group) throws IOException {
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(group)) {
            walk.forEach(paths::add);
        }
        for (Path path : paths.reversed()) {
            Files.deleteIfExists(path);
        }
    }
}
