package dev.sluice.worker;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference workload: a replicated map from string keys to byte values, with {@link KeyValueCommands}
 * as its commands and a length-prefixed snapshot format. Owns the map of one partition replica.
 */
public final class KeyValueLogic implements PartitionLogic {

    private static final int SNAPSHOT_MAGIC = 0x534c4b56; // "SLKV"
    private static final int SNAPSHOT_FORMAT = 1;
    private static final byte[] OK = new byte[0];

    private final ConcurrentSkipListMap<String, byte[]> entries = new ConcurrentSkipListMap<>();
    private final AtomicLong bytes = new AtomicLong();

    public static PartitionLogic.Factory factory() {
        return partition -> new KeyValueLogic();
    }

    @Override
    public byte[] apply(byte[] command) {
        KeyValueCommands.Decoded decoded = KeyValueCommands.decode(command);
        switch (decoded.op()) {
            case KeyValueCommands.PUT -> {
                byte[] previous = entries.put(decoded.key(), decoded.value());
                bytes.addAndGet(sizeOf(decoded.key(), decoded.value()) - (previous == null ? 0 : sizeOf(decoded.key(), previous)));
            }
            case KeyValueCommands.DELETE -> {
                byte[] previous = entries.remove(decoded.key());
                if (previous != null) {
                    bytes.addAndGet(-sizeOf(decoded.key(), previous));
                }
            }
            default -> throw new IllegalArgumentException("not a key-value command: opcode " + decoded.op());
        }
        return OK;
    }

    @Override
    public byte[] query(byte[] query) {
        KeyValueCommands.Decoded decoded = KeyValueCommands.decode(query);
        if (decoded.op() != KeyValueCommands.GET) {
            throw new IllegalArgumentException("not a key-value query: opcode " + decoded.op());
        }
        return KeyValueCommands.getReply(entries.get(decoded.key()));
    }

    @Override
    public void snapshot(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(SNAPSHOT_MAGIC);
        data.writeInt(SNAPSHOT_FORMAT);
        data.writeLong(entries.size());
        for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
            byte[] key = entry.getKey().getBytes(StandardCharsets.UTF_8);
            data.writeInt(key.length);
            data.write(key);
            data.writeInt(entry.getValue().length);
            data.write(entry.getValue());
        }
        data.flush();
    }

    @Override
    public void restore(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        if (data.readInt() != SNAPSHOT_MAGIC) {
            throw new IOException("not a key-value snapshot");
        }
        int format = data.readInt();
        if (format != SNAPSHOT_FORMAT) {
            throw new IOException("key-value snapshot format " + format + " is not supported (expected " + SNAPSHOT_FORMAT + ")");
        }
        long count = data.readLong();
        clear();
        for (long i = 0; i < count; i++) {
            byte[] key = data.readNBytes(data.readInt());
            byte[] value = data.readNBytes(data.readInt());
            String keyText = new String(key, StandardCharsets.UTF_8);
            entries.put(keyText, value);
            bytes.addAndGet(sizeOf(keyText, value));
        }
    }

    @Override
    public void clear() {
        entries.clear();
        bytes.set(0);
    }

    @Override
    public long sizeBytes() {
        return bytes.get();
    }

    /** The number of keys held (for tests and status). */
    public int size() {
        return entries.size();
    }

    private static long sizeOf(String key, byte[] value) {
        return key.length() + (long) value.length;
    }
}
