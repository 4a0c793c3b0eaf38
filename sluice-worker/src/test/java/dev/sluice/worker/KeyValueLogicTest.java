package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyValueLogicTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Optional<String> get(KeyValueLogic logic, String key) {
        return KeyValueCommands.decodeGetReply(logic.query(KeyValueCommands.get(bytes(key)))).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    @Test
    void putsDeletesAndCountsBytes() {
        KeyValueLogic logic = new KeyValueLogic();
        logic.apply(KeyValueCommands.put(bytes("a"), bytes("one")));
        logic.apply(KeyValueCommands.put(bytes("a"), bytes("three")));
        logic.apply(KeyValueCommands.put(bytes("b"), bytes("")));
        assertThat(get(logic, "a")).contains("three");
        assertThat(get(logic, "b")).contains("");
        assertThat(get(logic, "c")).isEmpty();
        assertThat(logic.sizeBytes()).isEqualTo(1 + 5 + 1);
        logic.apply(KeyValueCommands.delete(bytes("a")));
        assertThat(get(logic, "a")).isEmpty();
        assertThat(logic.sizeBytes()).isEqualTo(1);
    }

    @Test
    void snapshotRoundTripsRandomState() throws IOException {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        KeyValueLogic source = new KeyValueLogic();
        for (int i = 0; i < 500; i++) {
            byte[] value = new byte[random.nextInt(64)];
            random.nextBytes(value);
            source.apply(KeyValueCommands.put(bytes("key-" + random.nextInt(300) + "-ü"), value));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        source.snapshot(out);
        KeyValueLogic copy = new KeyValueLogic();
        copy.apply(KeyValueCommands.put(bytes("stale"), bytes("gone after restore")));
        copy.restore(new ByteArrayInputStream(out.toByteArray()));
        assertThat(copy.size()).as("seed %d", seed).isEqualTo(source.size());
        assertThat(copy.sizeBytes()).as("seed %d", seed).isEqualTo(source.sizeBytes());
        assertThat(get(copy, "stale")).isEmpty();
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        copy.snapshot(again);
        assertThat(again.toByteArray()).as("seed %d", seed).isEqualTo(out.toByteArray());
    }

    @Test
    void refusesForeignSnapshotsAndCommands() {
        KeyValueLogic logic = new KeyValueLogic();
        assertThatThrownBy(() -> logic.restore(new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})))
                .isInstanceOf(IOException.class).hasMessage("not a key-value snapshot");
        assertThatThrownBy(() -> logic.apply(KeyValueCommands.get(bytes("k"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("not a key-value command: opcode 3");
    }
}
