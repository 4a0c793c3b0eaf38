package dev.sluice.model;

import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.TreeSet;

/**
 * A set of node ids held as bits indexed by the id's number, iterated in id order.
 *
 * <p>Node ids are allocated one after another from 1 and never reused, so a cluster's ids are dense and the bits of
 * ten thousand workers fit in 1.3 KB. The controller asks its sets of workers (alive, polled, healthy) about every
 * worker every pass: in hash sets each question was a few cache misses (a table slot, an entry, a key), and at
 * 10,000 workers those questions were about half of a pass in which nothing changed. Ids from {@link #DENSE_LIMIT} on,
 * which no cluster reaches by registering nodes but a document may still name, go to a tree set beside the bits.
 */
public final class NodeIdSet extends AbstractSet<NodeId> {

    /** Ids below this are bits; above it, entries of {@link #sparse}. Bounds the bits at 128 KB whatever an id is. */
    static final int DENSE_LIMIT = 1 << 20;

    private long[] words;
    private int size;
    /** The ids from {@link #DENSE_LIMIT} on; null while there is none. */
    private TreeSet<NodeId> sparse;
    /** Changed by every add and remove, so an iterator can tell the set changed under it. */
    private int modifications;

    public NodeIdSet() {
        this.words = new long[2];
    }

    private NodeIdSet(NodeIdSet other) {
        this.words = other.words.clone();
        this.size = other.size;
        this.sparse = other.sparse == null ? null : new TreeSet<>(other.sparse);
    }

    /** A new set holding {@code ids}; copying another {@code NodeIdSet} copies its bits. */
    public static NodeIdSet copyOf(Collection<NodeId> ids) {
        if (ids instanceof NodeIdSet set) {
            return new NodeIdSet(set);
        }
        NodeIdSet copy = new NodeIdSet();
        copy.addAll(ids);
        return copy;
    }

    @Override
    public boolean contains(Object o) {
        return o instanceof NodeId id && containsId(id.value());
    }

    /** Whether the node numbered {@code value} is in the set: {@link #contains} for a walk that has numbers, not ids. */
    public boolean containsId(int value) {
        if (value >= DENSE_LIMIT) {
            return sparse != null && sparse.contains(NodeId.of(value));
        }
        int word = value >>> 6;
        return value >= 0 && word < words.length && (words[word] & (1L << value)) != 0;
    }

    @Override
    public boolean add(NodeId id) {
        int value = id.value();
        if (value >= DENSE_LIMIT) {
            if (sparse == null) {
                sparse = new TreeSet<>();
            }
            return counted(sparse.add(id), 1);
        }
        int word = value >>> 6;
        if (word >= words.length) {
            words = Arrays.copyOf(words, Math.max(word + 1, words.length * 2));
        }
        long bit = 1L << value;
        boolean added = (words[word] & bit) == 0;
        words[word] |= bit;
        return counted(added, 1);
    }

    @Override
    public boolean remove(Object o) {
        if (!(o instanceof NodeId id)) {
            return false;
        }
        int value = id.value();
        if (value >= DENSE_LIMIT) {
            return counted(sparse != null && sparse.remove(id), -1);
        }
        int word = value >>> 6;
        if (word >= words.length) {
            return false;
        }
        long bit = 1L << value;
        boolean removed = (words[word] & bit) != 0;
        words[word] &= ~bit;
        return counted(removed, -1);
    }

    private boolean counted(boolean changed, int delta) {
        if (changed) {
            size += delta;
            modifications++;
        }
        return changed;
    }

    @Override
    public void clear() {
        Arrays.fill(words, 0L);
        sparse = null;
        size = 0;
        modifications++;
    }

    @Override
    public int size() {
        return size;
    }

    /** As any set's, and for another {@code NodeIdSet} by comparing the bits (a liveness update asks it every pass). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NodeIdSet other)) {
            return super.equals(o);
        }
        if (other.size != size || !java.util.Objects.equals(sparseOrNull(), other.sparseOrNull())) {
            return false;
        }
        long[] shorter = words.length <= other.words.length ? words : other.words;
        long[] longer = shorter == words ? other.words : words;
        for (int i = 0; i < longer.length; i++) {
            if (longer[i] != (i < shorter.length ? shorter[i] : 0L)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }

    private TreeSet<NodeId> sparseOrNull() {
        return sparse == null || sparse.isEmpty() ? null : sparse;
    }

    @Override
    public Iterator<NodeId> iterator() {
        return new Iterator<>() {
            /** The bit to look from next. */
            private int from;
            private Iterator<NodeId> sparseIds;
            private NodeId last;
            private int expected = modifications;

            @Override
            public boolean hasNext() {
                return nextDense() >= 0 || sparseIds().hasNext();
            }

            @Override
            public NodeId next() {
                if (expected != modifications) {
                    throw new java.util.ConcurrentModificationException();
                }
                int value = nextDense();
                if (value >= 0) {
                    from = value + 1;
                    last = NodeId.of(value);
                } else if (sparseIds().hasNext()) {
                    last = sparseIds().next();
                } else {
                    throw new NoSuchElementException();
                }
                return last;
            }

            @Override
            public void remove() {
                if (last == null) {
                    throw new IllegalStateException();
                }
                if (last.value() >= DENSE_LIMIT) {
                    sparseIds.remove();
                    counted(true, -1);
                } else {
                    NodeIdSet.this.remove(last);
                }
                expected = modifications;
                last = null;
            }

            private int nextDense() {
                int word = from >>> 6;
                if (word >= words.length) {
                    return -1;
                }
                long bits = words[word] & (-1L << from);
                while (bits == 0) {
                    if (++word >= words.length) {
                        return -1;
                    }
                    bits = words[word];
                }
                return (word << 6) + Long.numberOfTrailingZeros(bits);
            }

            private Iterator<NodeId> sparseIds() {
                if (sparseIds == null) {
                    sparseIds = sparse == null ? java.util.Collections.emptyIterator() : sparse.iterator();
                }
                return sparseIds;
            }
        };
    }
}
