package dev.sluice.chaos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The nodes' disks of one run: each node's data directory is a {@code tmpfs} of {@link #SIZE_BYTES}, made for
 * the run, so the {@code fill-disk} fault can fill one for real. Owns the mounts and the filler files;
 * {@link #close()} deletes the fillers and unmounts (lazily when a mount is still busy), and a later run's
 * sweep unmounts what a killed harness left ({@link #unmountUnder}).
 *
 * <p>The nodes run with a floor of {@link #NODE_MIN_FREE_SPACE} (critical under a quarter of it): the
 * default 256 MiB would leave a 256 MiB disk never ready.
 */
final class NodeDisks implements AutoCloseable {

    /** Far more than a node of the run writes (a few keys, 12 partitions), and cheap: tmpfs takes memory only for what is written. */
    static final long SIZE_BYTES = 256L * 1024 * 1024;
    /** The nodes' {@code --min-free-space}: low under 32 MiB, critical under 8 MiB, ok again from 40 MiB. */
    static final String NODE_MIN_FREE_SPACE = "32MiB";
    static final String FILLER = "chaos-filler.bin";

    private final PrintStream log;
    private final List<Path> mounted = new ArrayList<>();

    NodeDisks(PrintStream log) {
        this.log = log;
    }

    /** Why a tmpfs cannot be mounted here (found by mounting one), or empty if it can. */
    static Optional<String> unsupported() {
        Path probe = null;
        try {
            probe = Files.createTempDirectory("sluice-chaos-tmpfs-");
            Shell.Result mount = Shell.run("mount", "-t", "tmpfs", "-o", "size=1m", "sluice-chaos", probe.toString());
            if (!mount.ok()) {
                return Optional.of("the fill-disk fault needs a tmpfs per node, and mount failed: " + mount.output());
            }
            Shell.run("umount", probe.toString());
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot make a directory to probe tmpfs mounts: " + e.getMessage());
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

    /** The arguments that give a node the floor this disk size needs. */
    static List<String> nodeArguments() {
        return List.of("--min-free-space", NODE_MIN_FREE_SPACE, "--min-free-space-percent", "0");
    }

    /** Mounts a tmpfs of {@link #SIZE_BYTES} on {@code directory} (created, empty). */
    synchronized void mount(Path directory) throws IOException {
        Files.createDirectories(directory);
        Shell.Result mount = Shell.run("mount", "-t", "tmpfs", "-o", "size=" + SIZE_BYTES + ",mode=0755", "sluice-chaos", directory.toString());
        if (!mount.ok()) {
            throw new IOException("cannot mount a tmpfs on " + directory + ": " + mount.output());
        }
        mounted.add(directory);
    }

    /**
     * Fills the filesystem of {@code directory} with a filler file until it refuses more.
     *
     * @return what undoes it: deleting the filler
     */
    Runnable fill(Path directory) throws IOException {
        Path filler = directory.resolve(FILLER);
        long written;
        try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer zeros = ByteBuffer.allocate(1 << 16);
            while (true) {
                zeros.clear();
                try {
                    channel.write(zeros);
                } catch (IOException full) {
                    break;
                }
            }
            written = channel.size();
        }
        log.println("filled " + directory + " with " + (written >> 20) + " MiB; " + (Files.getFileStore(directory).getUsableSpace() >> 10) + " KiB left");
        return () -> {
            try {
                Files.deleteIfExists(filler);
            } catch (IOException e) {
                throw new IllegalStateException("could not delete the filler " + filler + ": " + e.getMessage(), e);
            }
        };
    }

    /** Deletes every filler still there (healing whatever a failed nemesis left). */
    synchronized void removeFillers() throws IOException {
        for (Path directory : mounted) {
            Files.deleteIfExists(directory.resolve(FILLER));
        }
    }

    /** Deletes the fillers and unmounts every disk; what the nodes wrote goes with them. */
    @Override
    public synchronized void close() {
        for (Path directory : mounted) {
            try {
                Files.deleteIfExists(directory.resolve(FILLER));
            } catch (IOException ignored) {
                // Unmounting discards it anyway.
            }
            unmount(directory, log);
        }
        mounted.clear();
    }

    /** Unmounts every mount point at or under {@code root} (a dead run's data directory), deepest first. */
    static void unmountUnder(Path root, PrintStream log) {
        List<String> points = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"), StandardCharsets.UTF_8)) {
                String[] fields = line.split(" ");
                // Mount points with spaces are escaped as \040; the run's directories have none.
                if (fields.length > 1 && (fields[1].equals(root.toString()) || fields[1].startsWith(root + "/"))) {
                    points.add(fields[1]);
                }
            }
        } catch (IOException e) {
            log.println("could not read /proc/self/mounts: " + e.getMessage());
            return;
        }
        points.sort(java.util.Comparator.comparing(String::length).reversed());
        for (String point : points) {
            unmount(Path.of(point), log);
        }
    }

    private static void unmount(Path directory, PrintStream log) {
        if (Shell.run("umount", directory.toString()).ok()) {
            return;
        }
        // Still busy (a process exiting, a file held open): detach it now; the kernel frees it when released.
        Shell.Result lazy = Shell.run("umount", "--lazy", directory.toString());
        if (!lazy.ok()) {
            log.println("could not unmount " + directory + ": " + lazy.output());
        }
    }
}
