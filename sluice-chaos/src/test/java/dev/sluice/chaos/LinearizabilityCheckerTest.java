package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

    private static final String KEY = "k";
    private int ids;

    private Op write(int process, String value, long invoke, long complete) {
        return new Op(ids++, process, Op.Kind.WRITE, KEY, value, invoke, complete, Op.Outcome.OK, null);
    }

    private Op unknownWrite(int process, String value, long invoke, long gaveUp) {
        return new Op(ids++, process, Op.Kind.WRITE, KEY, value, invoke, gaveUp, Op.Outcome.UNKNOWN, "deadline-exceeded");
    }

    private Op failedWrite(int process, String value, long invoke, long complete) {
        return new Op(ids++, process, Op.Kind.WRITE, KEY, value, invoke, complete, Op.Outcome.FAILED, "refused");
    }

    private Op read(int process, String value, long invoke, long complete) {
        return new Op(ids++, process, Op.Kind.READ, KEY, value, invoke, complete, Op.Outcome.OK, null);
    }

    @Test
    void reportsAStaleRead() {
        Op a = write(1, "a", 0, 10);
        Op b = write(1, "b", 20, 30);
        Op stale = read(2, "a", 40, 50);

        LinearizabilityChecker.Result result = LinearizabilityChecker.checkKey(KEY, List.of(a, b, stale));

        assertThat(result.status()).isEqualTo(LinearizabilityChecker.Status.NOT_LINEARIZABLE);
        assertThat(result.key()).isEqualTo(KEY);
        assertThat(result.offending()).contains(stale, b);
        assertThat(result.explanation()).contains("held b").contains(stale.describe());
    }

    @Test
    void reportsANonLinearizablePairOfReads() {
        // b overlaps both reads, so either could see it; but once one read saw b, a later read cannot see a again.
        Op a = write(1, "a", 0, 10);
        Op b = write(1, "b", 20, 100);
        Op sawNew = read(2, "b", 30, 40);
        Op sawOld = read(3, "a", 50, 60);

        LinearizabilityChecker.Result result = LinearizabilityChecker.checkKey(KEY, List.of(a, b, sawNew, sawOld));

        assertThat(result.status()).isEqualTo(LinearizabilityChecker.Status.NOT_LINEARIZABLE);
        assertThat(result.offending()).contains(sawOld, sawNew);
    }

    @Test
    void reportsALostAcknowledgedWriteThroughBothCheckers() {
        Op a = write(1, "a", 0, 10);
        Op b = write(1, "b", 20, 30);
        Op finalRead = read(9, "a", 100, 110);

        LinearizabilityChecker.Result result = LinearizabilityChecker.checkKey(KEY, List.of(a, b, finalRead));
        List<AcknowledgedWritesChecker.Loss> losses = AcknowledgedWritesChecker.check(List.of(a, b), Map.of(KEY, finalRead));

        assertThat(result.status()).isEqualTo(LinearizabilityChecker.Status.NOT_LINEARIZABLE);
        assertThat(losses).singleElement().satisfies(loss -> {
            assertThat(loss.key()).isEqualTo(KEY);
            assertThat(loss.lost()).isEqualTo(b);
            assertThat(loss.finalRead()).isEqualTo(finalRead);
        });
    }

    @Test
    void reportsAFinalReadThatFindsNothingAfterAnAcknowledgedWrite() {
        Op a = write(1, "a", 0, 10);
        Op finalRead = read(9, null, 100, 110);

        assertThat(AcknowledgedWritesChecker.check(List.of(a), Map.of(KEY, finalRead)))
                .singleElement().satisfies(loss -> assertThat(loss.lost()).isEqualTo(a));
    }

    @Test
    void reportsAReadOfAFailedWrite() {
        Op failed = failedWrite(1, "x", 0, 10);
        Op sawIt = read(2, "x", 20, 30);

        LinearizabilityChecker.Result result = LinearizabilityChecker.checkKey(KEY, List.of(failed, sawIt));

        assertThat(result.status()).isEqualTo(LinearizabilityChecker.Status.NOT_LINEARIZABLE);
        assertThat(result.offending()).containsExactly(sawIt, failed);
        assertThat(result.explanation()).contains("written by a write that failed");
    }

    @Test
    void acceptsConcurrentWritesSeenInEitherOrder() {
        Op a = write(1, "a", 0, 50);
        Op b = write(2, "b", 10, 60);
        Op sawB = read(3, "b", 20, 30);
        Op sawA = read(4, "a", 40, 70);

        assertThat(LinearizabilityChecker.checkKey(KEY, List.of(a, b, sawB, sawA)).ok()).isTrue();
    }

    @Test
    void acceptsAReadOfAWriteStillInFlightAndAnEmptyFirstRead() {
        Op empty = read(3, null, 0, 5);
        Op a = write(1, "a", 10, 100);
        Op early = read(2, "a", 20, 30);

        assertThat(LinearizabilityChecker.checkKey(KEY, List.of(empty, a, early)).ok()).isTrue();
    }

    @Test
    void acceptsUnknownWritesThatTookEffectLateOrNever() {
        Op a = write(1, "a", 0, 10);
        Op late = unknownWrite(2, "u", 20, 30);
        Op never = unknownWrite(3, "n", 25, 35);
        Op stillA = read(4, "a", 40, 50);
        Op sawLate = read(4, "u", 60, 70);
        Op finalRead = read(9, "u", 100, 110);

        List<Op> history = List.of(a, late, never, stillA, sawLate, finalRead);

        assertThat(LinearizabilityChecker.checkKey(KEY, history).ok()).isTrue();
        assertThat(AcknowledgedWritesChecker.check(history, Map.of(KEY, finalRead))).isEmpty();
    }

    @Test
    void reportsAnUnknownWriteSeenThenUnseen() {
        // An unknown write may take effect once; it cannot appear, vanish and appear again with nothing in between.
        Op a = write(1, "a", 0, 10);
        Op u = unknownWrite(2, "u", 20, 30);
        Op sawU = read(3, "u", 40, 50);
        Op sawA = read(3, "a", 60, 70);
        Op sawUAgain = read(3, "u", 80, 90);

        assertThat(LinearizabilityChecker.checkKey(KEY, List.of(a, u, sawU, sawA, sawUAgain)).status())
                .isEqualTo(LinearizabilityChecker.Status.NOT_LINEARIZABLE);
    }

    @Test
    void checksEveryKeyOnItsOwn() {
        Op good = new Op(0, 1, Op.Kind.WRITE, "good", "g", 0, 10, Op.Outcome.OK, null);
        Op goodRead = new Op(1, 2, Op.Kind.READ, "good", "g", 20, 30, Op.Outcome.OK, null);
        Op badWrite = new Op(2, 1, Op.Kind.WRITE, "bad", "x", 0, 10, Op.Outcome.OK, null);
        Op badRead = new Op(3, 2, Op.Kind.READ, "bad", null, 20, 30, Op.Outcome.OK, null);

        List<LinearizabilityChecker.Result> results = LinearizabilityChecker.check(List.of(good, goodRead, badWrite, badRead));

        assertThat(results).extracting(LinearizabilityChecker.Result::key, LinearizabilityChecker.Result::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("bad", LinearizabilityChecker.Status.NOT_LINEARIZABLE),
                org.assertj.core.groups.Tuple.tuple("good", LinearizabilityChecker.Status.LINEARIZABLE));
    }

    /** A real register, driven by concurrent simulated clients, always yields a linearizable history; the checker must say so, fast. */
    @Test
    void acceptsSeededRandomHistoriesOfARealRegister() {
        long seed = new Random().nextLong();
        System.out.println("LinearizabilityCheckerTest seed " + seed);
        Random random = new Random(seed);
        for (int round = 0; round < 20; round++) {
            List<Op> history = simulate(random, 5, 400);
            LinearizabilityChecker.Result result = LinearizabilityChecker.checkKey(KEY, history);
            assertThat(result.ok()).as("seed %d round %d: %s", seed, round, result.describe()).isTrue();
        }
    }

    /**
     * Clients invoke, the register applies each operation at a random instant inside its interval, and some writes
     * lose their answer (unknown), taking effect or not.
     */
    private List<Op> simulate(Random random, int processes, int operations) {
        record Pending(int process, Op.Kind kind, String value, long invoke, long applyAt, long complete, boolean lostAnswer, boolean applies) {}
        long[] freeAt = new long[processes];
        List<Pending> pending = new ArrayList<>();
        for (int i = 0; i < operations; i++) {
            int process = random.nextInt(processes);
            long invoke = freeAt[process] + random.nextInt(20);
            long applyAt = invoke + 1 + random.nextInt(30);
            long complete = applyAt + 1 + random.nextInt(30);
            boolean write = random.nextBoolean();
            boolean lostAnswer = write && random.nextInt(10) == 0;
            pending.add(new Pending(process, write ? Op.Kind.WRITE : Op.Kind.READ, write ? "v" + i : null, invoke, applyAt, complete,
                    lostAnswer, !lostAnswer || random.nextBoolean()));
            freeAt[process] = complete + 1;
        }
        List<Pending> byApply = new ArrayList<>(pending);
        byApply.sort(java.util.Comparator.comparingLong(Pending::applyAt));
        String register = null;
        List<Op> ops = new ArrayList<>();
        for (Pending p : byApply) {
            if (p.kind() == Op.Kind.WRITE) {
                if (p.applies()) {
                    register = p.value();
                }
                ops.add(new Op(ids++, p.process(), Op.Kind.WRITE, KEY, p.value(), p.invoke(), p.complete(),
                        p.lostAnswer() ? Op.Outcome.UNKNOWN : Op.Outcome.OK, null));
            } else {
                ops.add(new Op(ids++, p.process(), Op.Kind.READ, KEY, register, p.invoke(), p.complete(), Op.Outcome.OK, null));
            }
        }
        return ops;
    }
}
