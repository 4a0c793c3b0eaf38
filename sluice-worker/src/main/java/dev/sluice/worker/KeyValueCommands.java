package dev.sluice.worker;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The binary commands and queries of the reference key-value workload: one opcode byte, the key's length
 * (4 bytes) and bytes, then the value's bytes for a put. Stored in the Raft log, so the format is fixed.
 */
public final class KeyValueCommands {

    static final byte PUT = 1;
    static final byte DELETE = 2;
    static final byte GET = 3;
    private static final byte FOUND = 1;
    private static final byte ABSENT = 0;

    private KeyValueCommands() {}

    public static byte[] put(byte[] key, byte[] value) {
        return ByteBuffer.allocate(1 + 4 + key.length + value.length).put(PUT).putInt(key.length).put(key).put(value).array();
    }

    public static byte[] delete(byte[] key) {
        return ByteBuffer.allocate(1 + 4 + key.length).put(DELETE).putInt(key.length).put(key).array();
    }

    public static byte[] get(byte[] key) {
        return ByteBuffer.allocate(1 + 4 + key.length).put(GET).putInt(key.length).put(key).array();
    }

    /** Decodes the reply to {@link #get}: the value, or empty if the key holds none. */
    public static Optional<byte[]> decodeGetReply(byte[] reply) {
        if (reply.length == 0) {
            throw new IllegalArgumentException("empty reply to a get");
        }
        if (reply[0] == ABSENT) {
            return Optional.empty();
        }
        byte[] value = new byte[reply.length - 1];
        System.arraycopy(reply, 1, value, 0, value.length);
        return Optional.of(value);
    }

    static byte[] getReply(byte[] value) {
        if (value == null) {
            return new byte[] {ABSENT};
        }
        return ByteBuffer.allocate(1 + value.length).put(FOUND).put(value).array();
    }

    /** A decoded command or query. */
    record Decoded(byte op, String key, byte[] value) {}

    static Decoded decode(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        byte op = buffer.get();
        int keyLength = buffer.getInt();
        if (keyLength < 0 || keyLength > buffer.remaining()) {
            throw new IllegalArgumentException("corrupt key-value command: key length " + keyLength);
        }
        byte[] key = new byte[keyLength];
        buffer.get(key);
        byte[] value = new byte[buffer.remaining()];
        buffer.get(value);
        return new Decoded(op, new String(key, StandardCharsets.UTF_8), value);
    }
}
