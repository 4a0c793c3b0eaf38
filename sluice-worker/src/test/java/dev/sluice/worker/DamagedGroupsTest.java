package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which group directories the Raft server could not start from: the raft-meta files a full disk left behind. */
class DamagedGroupsTest {

    @TempDir
    Path raft;

    Path group(String name, String raftMeta) throws Exception {
        Path current = Files.createDirectories(raft.resolve(name).resolve("current"));
        if (raftMeta != null) {
            Files.writeString(current.resolve("raft-meta"), raftMeta);
        }
        return raft.resolve(name);
    }

    @Test
    void anEmptyOrIncompleteRaftMetaIsDamagedAndAMissingOneIsNot() throws Exception {
        group("healthy", "#\nterm=4\nvotedFor=N2\n");
        group("never-voted", "term=0\nvotedFor=\n");
        group("fresh", null);
        Path emptied = group("emptied", "");
        Path noVote = group("no-vote", "term=3\n");
        Path garbage = group("garbage", "term=three\nvotedFor=N1\n");

        assertThat(DamagedGroups.find(raft)).containsOnlyKeys(emptied, noVote, garbage);
        assertThat(DamagedGroups.find(raft).get(emptied)).isEqualTo(emptied.resolve("current/raft-meta") + " has no term or vote (0 bytes)");
        assertThat(DamagedGroups.find(raft).get(garbage)).isEqualTo(garbage.resolve("current/raft-meta") + " holds the term 'three'");
    }

    @Test
    void mendingForgetsTheTermAndVoteAndKeepsTheLog() throws Exception {
        Path emptied = group("emptied", "");
        Path segment = Files.writeString(emptied.resolve("current").resolve("log_inprogress_0"), "entries");
        DamagedGroups.mend(emptied);
        assertThat(emptied.resolve("current/raft-meta")).content().contains("term=0\nvotedFor=\n");
        assertThat(segment).hasContent("entries");
        assertThat(DamagedGroups.find(raft)).isEmpty();
    }

    @Test
    void noRaftDirectoryMeansNothingDamaged() throws Exception {
        assertThat(DamagedGroups.find(raft.resolve("missing"))).isEmpty();
    }
}
