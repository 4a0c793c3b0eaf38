package dev.sluice.metadata;

import dev.sluice.model.AuditRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Every applied worker-state transition, appended in the same commit as the transition itself and never
 * trimmed: replaying it in version order reproduces every node's worker state.
 */
public final class AuditLog {

    static final int FORMAT = 1;
    public static final int MAX_READ = 10_000;

    private static final DocumentCodec<AuditRecord> CODEC = new DocumentCodec<>(AuditRecord.class, "audit record", FORMAT);

    private final MetadataStore store;

    AuditLog(MetadataStore store) {
        this.store = store;
    }

    Op appendOp(AuditRecord record) {
        return Op.append(MetadataKeys.AUDIT, CODEC.encode(record));
    }

    /** Records after {@code afterSequence} (-1 for all), in commit order, at most {@code limit}. */
    public List<AuditRecord> read(long afterSequence, int limit) {
        List<AuditRecord> records = new ArrayList<>();
        for (LogEntry entry : store.readLog(MetadataKeys.AUDIT, afterSequence, Math.min(limit, MAX_READ))) {
            records.add(CODEC.decode(MetadataKeys.AUDIT + "/" + entry.sequence(), entry.value()));
        }
        return List.copyOf(records);
    }
}
