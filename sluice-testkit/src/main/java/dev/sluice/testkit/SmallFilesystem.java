package dev.sluice.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A small filesystem made for a test: a {@code tmpfs} of a fixed size mounted on a directory, so a node's data
 * directory can run out of space for real. Owns the mount and the filler file it writes; {@link #close()}
 * deletes the filler and unmounts, also after a failed test (a mount still busy with files a stopped Raft
 * server left open is detached lazily: the kernel frees it when the last file closes).
 *
 * <p>Needs root and {@code mount}; {@link #unsupported()} says why a test cannot have one here.
 */
public final class SmallFilesystem implements AutoCloseable {

    /** Names the filler so a test's directory listing shows what it is. */
    public static final String FILLER = "filler.bin";
    /** Longer than mount or umount take; a hung one is killed and reported. */
    static final long COMMAND_TIMEOUT_SECONDS = 20;
    private static final int CHUNK = 1 << 20;

    private final Path directory;
    private final long sizeBytes;
    private boolean mounted;

    private SmallFilesystem(Path directory, long sizeBytes) {
        this.directory = directory;
        this.sizeBytes = sizeBytes;
    }

    /** Why a small filesystem cannot be mounted here (found by trying one), or empty if it can. */
    public static Optional<String> unsupported() {
        String user = System.getProperty("user.name");
        if (!"root".equals(user)) {
            return Optional.of("mounting a tmpfs needs root (running as " + user + ")");
        }
        Path probe = null;
        try {
            probe = Files.createTempDirectory("sluice-tmpfs-probe-");
            try (SmallFilesystem filesystem = mount(probe, 1 << 20)) {
                return Optional.empty();
            }
        } catch (IOException | RuntimeException cannot) {
            return Optional.of("cannot mount a tmpfs: " + cannot.getMessage());
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // A temporary directory; the OS cleans up.
                }
            }
        }
    }

    /**
     * Mounts a {@code tmpfs} of {@code sizeBytes} on {@code directory} (created if missing; it must be empty).
     *
     * @throws IOException naming the command's output if the mount fails
     */
    public static SmallFilesystem mount(Path directory, long sizeBytes) throws IOException {
        Files.createDirectories(directory);
        SmallFilesystem filesystem = new SmallFilesystem(directory.toAbsolutePath(), sizeBytes);
        run(List.of("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes + ",mode=0755", "sluice-test", filesystem.directory.toString()));
        filesystem.mounted = true;
        return filesystem;
    }

    public Path directory() {
        return directory;
    }

    public long sizeBytes() {
        return sizeBytes;
    }

    public long freeBytes() throws IOException {
        return Files.getFileStore(directory).getUsableSpace();
    }

    /**
     * Grows (or shrinks) the filler file so that about {@code leaveFreeBytes} remain free, as measured now
     * (less if the filesystem fills while it writes).
     *
     * @return the filler's size
     */
    public long fillLeaving(long leaveFreeBytes) throws IOException {
        Path filler = directory.resolve(FILLER);
        long current = Files.exists(filler) ? Files.size(filler) : 0;
        long target = Math.max(0, current + freeBytes() - leaveFreeBytes);
        try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            if (target < current) {
                channel.truncate(target);
                return target;
            }
            // Written, not just sized: a sparse file would take no space on tmpfs.
            ByteBuffer zeros = ByteBuffer.allocate(CHUNK);
            long position = current;
            while (position < target) {
                zeros.clear().limit((int) Math.min(CHUNK, target - position));
                try {
                    position += channel.write(zeros, position);
                } catch (IOException full) {
                    // The node took some of the space meanwhile: the disk is as full as it gets.
                    return position;
                }
            }
            return position;
        }
    }

    /** Writes the filler until the filesystem refuses more: nothing is left for anyone. */
    public long fillCompletely() throws IOException {
        Path filler = directory.resolve(FILLER);
        ByteBuffer zeros = ByteBuffer.allocate(4096);
        try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            while (true) {
                zeros.clear();
                try {
                    channel.write(zeros);
                } catch (IOException full) {
                    return channel.size();
                }
            }
        }
    }

    /** Deletes the filler, giving its space back. */
    public void removeFiller() throws IOException {
        Files.deleteIfExists(directory.resolve(FILLER));
    }

    /** Deletes the filler and unmounts; what was written on the filesystem is gone with it. */
    @Override
    public void close() throws IOException {
        if (!mounted) {
            return;
        }
        try {
            removeFiller();
        } catch (IOException ignored) {
            // Unmounting discards it anyway.
        }
        try {
            run(List.of("umount", directory.toString()));
        } catch (IOException busy) {
            run(List.of("umount", "--lazy", directory.toString()));
        }
        mounted = false;
    }

    private static void run(List<String> command) throws IOException {
        Path output = Files.createTempFile("sluice-mount", ".out");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + COMMAND_TIMEOUT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                        + Files.readString(output, StandardCharsets.UTF_8).trim());
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", command), interrupted);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    @Override
    public String toString() {
        return "tmpfs " + (sizeBytes >> 20) + " MiB on " + directory;
    }
}
