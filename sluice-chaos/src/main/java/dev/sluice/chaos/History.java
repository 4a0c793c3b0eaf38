package dev.sluice.chaos;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operations of a run, recorded by the clients as they complete. Thread-safe; bounded by
 * {@link #MAX_OPS} so a run that goes faster than planned fails loudly instead of exhausting memory.
 */
public final class History {

    /** About 40 operations a second for 12 hours; a long run that exceeds it should be split. */
    public static final int MAX_OPS = 2_000_000;

    private final List<Op> ops = new ArrayList<>();
    private final AtomicInteger nextId = new AtomicInteger();

    /** The id of the next invocation, in invocation order. */
    int nextId() {
        return nextId.getAndIncrement();
    }

    public synchronized void add(Op op) {
        if (ops.size() >= MAX_OPS) {
            throw new IllegalStateException("the history reached " + MAX_OPS + " operations; shorten the run or slow the clients");
        }
        ops.add(op);
    }

    /** Every operation so far, by invocation time. */
    public synchronized List<Op> ops() {
        List<Op> sorted = new ArrayList<>(ops);
        sorted.sort(Comparator.comparingLong(Op::invokeNanos).thenComparingInt(Op::id));
        return List.copyOf(sorted);
    }

    public synchronized long count(Op.Kind kind, Op.Outcome outcome) {
        return ops.stream().filter(op -> op.kind() == kind && op.outcome() == outcome).count();
    }

    /** Writes one line per operation (tab-separated, with a header) to {@code file}. */
    public void write(Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("id\tprocess\tkind\tkey\tvalue\toutcome\tinvoke-nanos\tcomplete-nanos\terror\n");
            for (Op op : ops()) {
                out.write(op.toLine());
                out.write('\n');
            }
        }
    }
}
