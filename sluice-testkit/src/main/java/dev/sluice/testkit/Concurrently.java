package dev.sluice.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;

/**
 * Runs blocking client calls in parallel on threads of its own. Tests must not use parallel streams for
 * that: they run on the common fork-join pool (one thread on a 2-core machine), which Ratis also uses for
 * some of its asynchronous steps, so blocked client calls there stall the in-process Raft servers.
 */
public final class Concurrently {

    private Concurrently() {}

    /**
     * Calls {@code task} for every index in {@code [0, count)} on {@code threads} threads and waits.
     *
     * @throws AssertionError with the first failure, or if the calls did not finish within {@code timeout}
     */
    public static void forEach(int count, int threads, Duration timeout, IntConsumer task) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("concurrently-", 0).daemon().factory());
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                futures.add(pool.submit(() -> {
                    for (int i = first; i < count; i += threads) {
                        task.accept(i);
                    }
                }));
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            for (Future<?> future : futures) {
                future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException failed) {
            throw new AssertionError(failed.getCause().getMessage(), failed.getCause());
        } catch (TimeoutException slow) {
            throw new AssertionError("not done within " + timeout, slow);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", interrupted);
        } finally {
            pool.shutdownNow();
        }
    }
}
