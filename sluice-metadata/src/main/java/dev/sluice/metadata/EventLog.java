package dev.sluice.metadata;

import dev.sluice.model.ClusterEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The cluster's event log: what happened, in the order it was committed. Appends ride along with the
 * writes they describe (see {@link #appendOp}) so an event is logged exactly when its change is applied.
 * The log is trimmed to its newest {@link #RETAINED_EVENTS} entries.
 */
public final class EventLog {

    static final int FORMAT = 1;
    public static final int RETAINED_EVENTS = 10_000;
    public static final int MAX_READ = 1_000;

    private static final DocumentCodec<ClusterEvent> CODEC = new DocumentCodec<>(ClusterEvent.class, "cluster event", FORMAT);

    private final MetadataStore store;

    EventLog(MetadataStore store) {
        this.store = store;
    }

    /**
     * One event with its position in the log and when the log recorded it. {@code loggedAt} grows with the
     * sequence; the event's own time is when its writer saw it happen, and writers (the controller, which
     * batches its events, and every node's API) are not ordered by it.
     */
    public record LoggedEvent(long sequence, ClusterEvent event, Instant loggedAt) {}

    /** The operation that appends {@code event}, for a commit that also makes the change it describes. */
    public Op appendOp(ClusterEvent event) {
        return Op.append(MetadataKeys.EVENTS, CODEC.encode(event));
    }

    /** Appends an event on its own; returns its sequence number. */
    public long append(ClusterEvent event) {
        return store.commit(List.of(appendOp(event))).getFirst().sequence();
    }

    /**
     * Events after {@code afterSequence} (-1 for the oldest kept), oldest first, at most {@code limit}
     * (capped at {@link #MAX_READ}). Entries that cannot be read are skipped with their sequence kept, so a
     * newer writer's events never stop an older reader.
     */
    public List<LoggedEvent> read(long afterSequence, int limit) {
        List<LoggedEvent> result = new ArrayList<>();
        for (LogEntry entry : store.readLog(MetadataKeys.EVENTS, afterSequence, Math.min(limit, MAX_READ))) {
            try {
                result.add(new LoggedEvent(entry.sequence(), CODEC.decode(MetadataKeys.EVENTS + "/" + entry.sequence(), entry.value()), entry.appendedAt()));
            } catch (CorruptDocumentException unreadable) {
                org.slf4j.LoggerFactory.getLogger(EventLog.class).warn("skipping event {}: {}", entry.sequence(), unreadable.getMessage());
            }
        }
        return List.copyOf(result);
    }

    /** The newest {@code count} events, oldest first. */
    public List<LoggedEvent> latest(int count) {
        List<String> names = store.children(MetadataKeys.EVENTS);
        List<Long> sequences = new ArrayList<>();
        for (String name : names) {
            long sequence = Keys.sequenceOf(name);
            if (sequence >= 0) {
                sequences.add(sequence);
            }
        }
        sequences.sort(null);
        long after = sequences.size() <= count ? -1 : sequences.get(sequences.size() - count - 1);
        return read(after, count);
    }

    /** Deletes all but the newest {@code retain} events; returns how many it deleted. */
    public int trim(int retain) {
        List<Long> sequences = new ArrayList<>();
        for (String name : store.children(MetadataKeys.EVENTS)) {
            long sequence = Keys.sequenceOf(name);
            if (sequence >= 0) {
                sequences.add(sequence);
            }
        }
        sequences.sort(null);
        int deleted = 0;
        for (int i = 0; i < sequences.size() - retain; i++) {
            if (store.delete(MetadataKeys.EVENTS + "/" + Keys.logEntryName(sequences.get(i)), Precondition.NONE)) {
                deleted++;
            }
        }
        return deleted;
    }
}
