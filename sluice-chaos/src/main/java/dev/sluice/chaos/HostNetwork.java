package dev.sluice.chaos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The "hosts" of one run on this machine: a bridge in the root network namespace, and per host a network
 * namespace joined to the bridge by a veth pair, with an address from a private /24 made for the run. Owns
 * all of them and the iptables rules the nemesis adds inside the namespaces; {@link #close()} removes them.
 *
 * <p>Names carry {@link #PREFIX} and a run id ({@code slc-3f2a-n1}, {@code slc3f2abr}), and an owner file
 * under {@link #OWNERS} records the process that made them; {@link #sweep} removes what a run left behind
 * when its owner is gone (killed before it could clean up), and never touches a live run's hosts.
 *
 * <p>The bridge gets the /24's last address, so the harness in the root namespace (clients, operator,
 * checks) reaches every host; hosts have no default route, so they reach nothing but each other.
 */
final class HostNetwork implements AutoCloseable {

    static final String PREFIX = "slc";
    /** Where live runs record their owner process and data directory, for the sweep. */
    static final Path OWNERS = Path.of("/tmp/sluice-chaos-runs");
    /** Subnets tried before giving up on finding one that this machine does not already use. */
    static final int MAX_SUBNET_ATTEMPTS = 50;
    private static final int BRIDGE_HOST = 254;

    /**
     * Where a run's /24 is taken from: {@code 10.<secondOctet>.<random>.0/24} with the second octet in
     * {@code [secondOctetMin, secondOctetMin + secondOctetCount)}. The fault-injection runs and the multi-host
     * clusters draw from ranges that do not overlap, so one of each can run in the same build or beside each other
     * without ever picking the same subnet, whatever the timing.
     */
    record Subnets(int secondOctetMin, int secondOctetCount) {
        /** The fault-injection runs' subnets: 10.100.x.0/24 to 10.199.x.0/24. */
        static final Subnets CHAOS = new Subnets(100, 100);
        /** The multi-host clusters' subnets ({@code sluice hosts}): 10.200.x.0/24 to 10.249.x.0/24. */
        static final Subnets HOSTS = new Subnets(200, 50);

        Subnets {
            if (secondOctetMin < 1 || secondOctetCount < 1 || secondOctetMin + secondOctetCount > 256) {
                throw new IllegalArgumentException("BUG: second octets " + secondOctetMin + " + " + secondOctetCount + " leave 0-255");
            }
        }
    }

    /** One host: its name in the run, namespace, address and the outer end of its veth. */
    record Host(String name, String namespace, String address, String veth) {
        @Override
        public String toString() {
            return name + "(" + address + ")";
        }
    }

    /** Which packets a cut drops, seen from the host the rule is put on. */
    enum Direction {
        /** Neither sends nor receives: a full partition. */
        BOTH,
        /** The host's packets to the others are dropped; theirs still arrive. */
        OUTGOING
    }

    private final String runId;
    private final String bridge;
    private final String subnetPrefix;
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final PrintStream log;
    private final List<LinkProxy> proxies = new ArrayList<>();
    private boolean closed;

    private HostNetwork(String runId, String subnetPrefix, PrintStream log) {
        this.runId = runId;
        this.bridge = PREFIX + runId + "br";
        this.subnetPrefix = subnetPrefix;
        this.log = log;
    }

    /** Why hosts cannot be made here, or empty if they can (root, {@code ip} and {@code iptables} present). */
    static Optional<String> unsupported() {
        String user = System.getProperty("user.name");
        if (!"root".equals(user)) {
            return Optional.of("network-namespace hosts need root (running as " + user + ")");
        }
        if (!Shell.available("ip", "-V")) {
            return Optional.of("network-namespace hosts need 'ip' from iproute2 (apt-get install iproute2)");
        }
        if (!Shell.available("iptables", "-V")) {
            return Optional.of("the nemesis cuts links with 'iptables' (apt-get install iptables)");
        }
        return Optional.empty();
    }

    /**
     * Makes a bridge and one namespace per name, after sweeping leftovers of dead runs.
     *
     * @param dataDirectory removed by a later sweep if this run dies without cleaning up
     */
    static HostNetwork create(List<String> names, Path dataDirectory, PrintStream log) throws IOException {
        return create(names, dataDirectory, Subnets.CHAOS, log);
    }

    /** {@link #create(List, Path, PrintStream)} with a /24 from {@code subnets}. */
    static HostNetwork create(List<String> names, Path dataDirectory, Subnets subnets, PrintStream log) throws IOException {
        if (names.size() > BRIDGE_HOST - 1) {
            throw new IllegalArgumentException("a /24 holds at most " + (BRIDGE_HOST - 1) + " hosts, asked for " + names.size());
        }
        sweep(log);
        // The run id and subnet keep concurrent runs apart; they are not part of the seeded schedule.
        SecureRandom random = new SecureRandom();
        byte[] id = new byte[2];
        random.nextBytes(id);
        String runId = HexFormat.of().formatHex(id);
        String subnet = freeSubnet(random, subnets);
        HostNetwork network = new HostNetwork(runId, subnet, log);
        Files.createDirectories(OWNERS);
        Properties owner = new Properties();
        owner.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        owner.setProperty("data", dataDirectory.toAbsolutePath().toString());
        try (var out = Files.newOutputStream(OWNERS.resolve(runId))) {
            owner.store(out, "sluice-chaos run " + runId);
        }
        try {
            Shell.require("ip", "link", "add", network.bridge, "type", "bridge");
            Shell.require("ip", "addr", "add", subnet + BRIDGE_HOST + "/24", "dev", network.bridge);
            Shell.require("ip", "link", "set", network.bridge, "up");
            int index = 1;
            for (String name : names) {
                Host host = new Host(name, PREFIX + "-" + runId + "-" + name, subnet + index, String.format("%s%sv%02d", PREFIX, runId, index));
                Shell.require("ip", "netns", "add", host.namespace());
                Shell.require("ip", "link", "add", host.veth(), "type", "veth", "peer", "name", "eth0", "netns", host.namespace());
                Shell.require("ip", "link", "set", host.veth(), "master", network.bridge, "up");
                Shell.require("ip", "-n", host.namespace(), "addr", "add", host.address() + "/24", "dev", "eth0");
                Shell.require("ip", "-n", host.namespace(), "link", "set", "eth0", "up");
                Shell.require("ip", "-n", host.namespace(), "link", "set", "lo", "up");
                network.hosts.put(name, host);
                index++;
            }
        } catch (RuntimeException failed) {
            network.close();
            throw failed;
        }
        log.println("hosts: run " + runId + ", subnet " + subnet + "0/24, bridge " + network.bridge + " (" + subnet + BRIDGE_HOST + "), "
                + network.hosts.values());
        return network;
    }

    private static String freeSubnet(SecureRandom random, Subnets subnets) {
        String inUse = Shell.run("ip", "-4", "addr").output() + "\n" + Shell.run("ip", "-4", "route").output();
        for (int attempt = 0; attempt < MAX_SUBNET_ATTEMPTS; attempt++) {
            String prefix = "10." + (subnets.secondOctetMin() + random.nextInt(subnets.secondOctetCount())) + "." + random.nextInt(256) + ".";
            if (!inUse.contains(prefix)) {
                return prefix;
            }
        }
        throw new IllegalStateException("found no unused 10.x.y.0/24 in " + MAX_SUBNET_ATTEMPTS + " tries");
    }

    String runId() {
        return runId;
    }

    String bridge() {
        return bridge;
    }

    /** The run's subnet, {@code 10.x.y.0/24}. */
    String subnet() {
        return subnetPrefix + "0/24";
    }

    Host host(String name) {
        Host host = hosts.get(name);
        if (host == null) {
            throw new IllegalArgumentException("no host " + name + " in run " + runId);
        }
        return host;
    }

    Collection<Host> hosts() {
        return hosts.values();
    }

    /** The command prefix that runs a program inside {@code host}'s namespace. */
    List<String> inside(Host host) {
        return List.of("ip", "netns", "exec", host.namespace());
    }

    /** Drops packets between {@code host} and each of {@code others}, in {@code direction}, inside {@code host}'s namespace. */
    void cut(Host host, Collection<Host> others, Direction direction) {
        for (Host other : others) {
            if (other.equals(host)) {
                continue;
            }
            iptables(host, "-A", "OUTPUT", "-d", other.address(), "-j", "DROP");
            if (direction == Direction.BOTH) {
                iptables(host, "-A", "INPUT", "-s", other.address(), "-j", "DROP");
            }
        }
    }

    /**
     * Sends {@code host}'s new TCP connections to {@code destination}'s {@code port} to {@code proxy} instead
     * (a DNAT rule in the namespace's {@code nat} table), and resets the connections it already has there: the
     * {@code nat} table only sees a connection's first packet, so an old connection would otherwise keep
     * bypassing the proxy. The reset rule matches only packets still addressed to the destination itself,
     * which redirected connections never are once their first packet was rewritten.
     */
    void redirect(Host host, Host destination, int port, java.net.InetSocketAddress proxy) {
        redirect(host, List.of(new Redirect(destination, port, proxy)));
    }

    /** Connections to {@code destination}'s {@code port} go to {@code proxy} instead. */
    record Redirect(Host destination, int port, java.net.InetSocketAddress proxy) {}

    /**
     * All of {@code host}'s redirects at once, in one {@code iptables-restore --noflush} (one process instead
     * of two per rule: on a loaded machine each process start took seconds, and a link fault's set-up outlasted
     * its hold).
     */
    void redirect(Host host, List<Redirect> redirects) {
        List<String> nat = new ArrayList<>(List.of("*nat"));
        List<String> filter = new ArrayList<>(List.of("*filter"));
        for (Redirect redirect : redirects) {
            if (!hosts.containsValue(redirect.destination()) || !redirect.proxy().getAddress().getHostAddress().equals(bridgeAddress())) {
                throw new IllegalArgumentException("redirects go from a run host to a run host through the bridge, not to " + redirect.destination()
                        + " via " + redirect.proxy());
            }
            String match = "-p tcp -d " + redirect.destination().address() + " --dport " + redirect.port();
            nat.add("-A OUTPUT " + match + " -j DNAT --to-destination " + redirect.proxy().getAddress().getHostAddress() + ":" + redirect.proxy().getPort());
            filter.add("-A OUTPUT " + match + " -j REJECT --reject-with tcp-reset");
        }
        List<String> lines = new ArrayList<>(nat);
        lines.add("COMMIT");
        lines.addAll(filter);
        lines.add("COMMIT");
        restore(host, lines, true);
    }

    /**
     * A proxy on the bridge's address that relays only between this run's hosts; this network closes it when
     * it closes, if nothing did before.
     */
    synchronized LinkProxy openProxy(LinkImpairment impairment, long seed) throws IOException {
        if (closed) {
            throw new IllegalStateException("the hosts of run " + runId + " are gone");
        }
        java.util.Set<java.net.InetAddress> addresses = new java.util.HashSet<>();
        for (Host host : hosts.values()) {
            addresses.add(java.net.InetAddress.getByName(host.address()));
        }
        LinkProxy proxy = new LinkProxy(java.net.InetAddress.getByName(bridgeAddress()), addresses, impairment, seed);
        proxies.add(proxy);
        return proxy;
    }

    /** The bridge's address in the root namespace: the harness and a {@link LinkProxy} listen there. */
    String bridgeAddress() {
        return subnetPrefix + BRIDGE_HOST;
    }

    /** Removes every rule the nemesis put inside {@code host}: its filter and nat tables, emptied in one call. */
    void heal(Host host) {
        restore(host, List.of("*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", "COMMIT",
                "*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", "COMMIT"), false);
    }

    /** Loads {@code lines} with {@code iptables-restore} inside {@code host}: replacing the tables named, or adding to them. */
    private void restore(Host host, List<String> lines, boolean add) {
        Path rules = null;
        try {
            rules = Files.createTempFile("sluice-chaos-rules", ".txt");
            Files.write(rules, lines, StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(inside(host));
            command.add("iptables-restore");
            if (add) {
                command.add("--noflush");
            }
            command.add(rules.toString());
            Shell.require(command.toArray(String[]::new));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the rules for " + host + ": " + e.getMessage(), e);
        } finally {
            if (rules != null) {
                try {
                    Files.deleteIfExists(rules);
                } catch (IOException ignored) {
                    // A leftover temp file is harmless.
                }
            }
        }
    }

    void healAll() {
        hosts.values().forEach(this::heal);
    }

    private void iptables(Host host, String... rule) {
        List<String> command = new ArrayList<>(inside(host));
        command.add("iptables");
        command.add("-w");
        command.addAll(List.of(rule));
        Shell.require(command.toArray(String[]::new));
    }

    /** Kills whatever still runs in the namespaces, then removes namespaces, veths, bridge and the owner file. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        proxies.forEach(LinkProxy::close);
        remove(runId, log);
    }

    /** Removes everything of run {@code id}: processes in its namespaces, namespaces, links, owner file (not its data). */
    private static void remove(String id, PrintStream log) {
        for (String namespace : namespaces()) {
            if (namespace.startsWith(PREFIX + "-" + id + "-")) {
                for (String pid : Shell.run("ip", "netns", "pids", namespace).output().split("\\s+")) {
                    if (pid.matches("\\d+")) {
                        Shell.run("kill", "-9", pid);
                    }
                }
                Shell.Result deleted = Shell.run("ip", "netns", "del", namespace);
                if (!deleted.ok()) {
                    log.println("could not remove namespace " + namespace + ": " + deleted.output());
                }
            }
        }
        for (String link : links()) {
            if (link.startsWith(PREFIX + id)) {
                Shell.run("ip", "link", "del", link);
            }
        }
        try {
            Files.deleteIfExists(OWNERS.resolve(id));
        } catch (IOException e) {
            log.println("could not remove " + OWNERS.resolve(id) + ": " + e.getMessage());
        }
    }

    /**
     * Removes what earlier runs left behind: for each run id found in a namespace, link or owner file whose
     * owner process is gone, its processes, namespaces, links and data directory. Returns the ids removed.
     */
    static List<String> sweep(PrintStream log) throws IOException {
        List<String> ids = new ArrayList<>();
        for (String namespace : namespaces()) {
            if (namespace.startsWith(PREFIX + "-") && namespace.length() > PREFIX.length() + 6) {
                addOnce(ids, namespace.substring(PREFIX.length() + 1, PREFIX.length() + 5));
            }
        }
        for (String link : links()) {
            if (link.startsWith(PREFIX) && link.length() >= PREFIX.length() + 6 && link.substring(PREFIX.length(), PREFIX.length() + 4).matches("[0-9a-f]{4}")) {
                addOnce(ids, link.substring(PREFIX.length(), PREFIX.length() + 4));
            }
        }
        if (Files.isDirectory(OWNERS)) {
            try (Stream<Path> owners = Files.list(OWNERS)) {
                owners.map(p -> p.getFileName().toString()).forEach(id -> addOnce(ids, id));
            }
        }
        List<String> removed = new ArrayList<>();
        for (String id : ids) {
            Properties owner = new Properties();
            Path ownerFile = OWNERS.resolve(id);
            if (Files.exists(ownerFile)) {
                try (var in = Files.newInputStream(ownerFile)) {
                    owner.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                }
            }
            boolean ownerAlive = Optional.ofNullable(owner.getProperty("pid")).map(Long::parseLong)
                    .flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
            if (ownerAlive) {
                continue;
            }
            log.println("sweeping leftovers of chaos run " + id);
            remove(id, log);
            String data = owner.getProperty("data");
            if (data != null && Path.of(data).getFileName().toString().equals(ChaosCluster.DATA_DIRECTORY)) {
                NodeDisks.unmountUnder(Path.of(data), log);
                deleteTree(Path.of(data));
            }
            removed.add(id);
        }
        return removed;
    }

    /**
     * What of run {@code id} is still on this machine: its namespaces, its links (bridge and veths) and its owner
     * file, by name. Empty once {@link #close()} has run.
     */
    static List<String> leftovers(String id) {
        List<String> found = new ArrayList<>();
        namespaces().stream().filter(n -> n.startsWith(PREFIX + "-" + id + "-")).forEach(n -> found.add("namespace " + n));
        links().stream().filter(l -> l.startsWith(PREFIX + id)).forEach(l -> found.add("link " + l));
        if (Files.exists(OWNERS.resolve(id))) {
            found.add("owner file " + OWNERS.resolve(id));
        }
        return found;
    }

    private static void addOnce(List<String> ids, String id) {
        if (!ids.contains(id)) {
            ids.add(id);
        }
    }

    private static List<String> namespaces() {
        List<String> names = new ArrayList<>();
        for (String line : Shell.run("ip", "netns", "list").output().split("\n")) {
            if (!line.isBlank()) {
                names.add(line.trim().split("\\s+")[0]);
            }
        }
        return names;
    }

    private static List<String> links() {
        List<String> names = new ArrayList<>();
        for (String line : Shell.run("ip", "-o", "link", "show").output().split("\n")) {
            String[] parts = line.split(":\\s+", 3);
            if (parts.length >= 2) {
                names.add(parts[1].split("@")[0].trim());
            }
        }
        return names;
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // Reported below if the root is still there.
                }
            });
        } catch (IOException e) {
            // Reported below.
        }
        if (Files.exists(root)) {
            System.err.println("could not remove all of " + root);
        }
    }
}
