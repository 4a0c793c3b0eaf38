package dev.sluice.model;

/**
 * The stable 64-bit hash that maps keys onto the partition table's ranges. Part of the stored format:
 * changing it would move every key, so it is fixed forever (FNV-1a over the bytes, then the 64-bit
 * finaliser of MurmurHash3 to spread the bits).
 */
public final class KeyHash {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private KeyHash() {}

    public static long hash(byte[] key) {
        long h = FNV_OFFSET;
        for (byte b : key) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
