package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The short form of the fault-injection run, for every build: a seeded two-minute fault window on the
 * namespace cluster (about four minutes with start-up and the checks). {@code -Dsluice.chaos.seed=N}
 * replays a seed, {@code -Dsluice.chaos.window=30m} makes it the long form, {@code -Dsluice.chaos.kinds=a,b}
 * deals only those fault kinds. Skips, saying why, where hosts
 * cannot be made, unless {@code SLUICE_CHAOS_REQUIRED} is set (CI sets it, so CI never skips it silently).
 */
class ChaosShortTest {

    static final Duration DEFAULT_WINDOW = Duration.ofSeconds(120);

    /**
     * The seed every build runs, six kinds in its two minutes: an isolated node, the controller leader killed, lossy
     * links, a majority/minority split, a full disk, and a ZooKeeper quorum loss. Kinds added since change every seed's
     * schedule: the seed before this one, 20261270, was chosen for a quorum loss, a killed node and lossy then slow
     * links, and by 2026-11-29 dealt none of the ZooKeeper or link faults it was kept for (a node killed, isolated and
     * paused, a ZooKeeper leader killed). Print a seed's schedule before choosing it: {@code Schedule.generate}.
     */
    static final long BUILD_SEED = 20299292L;

    @Test
    void aSeededRunOfFaultsFindsNoAnomaly() throws Exception {
        HostsRequirement.requireOrSkip("ChaosShortTest", ChaosRun.unsupported());

        // The build runs one fixed seed, so a red build is a regression and not a roll of the dice; new seeds
        // are explored with -Dsluice.chaos.seed or the long form.
        long seed = Optional.ofNullable(System.getProperty("sluice.chaos.seed")).map(Long::parseLong).orElse(BUILD_SEED);
        Duration window = Optional.ofNullable(System.getProperty("sluice.chaos.window")).map(ChaosMain::parseDuration).orElse(DEFAULT_WINDOW);
        java.util.Set<String> kinds = Optional.ofNullable(System.getProperty("sluice.chaos.kinds")).map(ChaosMain::parseKinds).orElse(ChaosRun.allKinds());
        ChaosRun.Report report = ChaosRun.run(new ChaosRun.Options(seed, window, 12, Path.of("target", "chaos"), kinds), System.out);

        assertThat(report.anomalies()).as("seed %d (replay with -Dsluice.chaos.seed=%d); see %s", seed, seed, report.directory()).isEmpty();
    }
}
