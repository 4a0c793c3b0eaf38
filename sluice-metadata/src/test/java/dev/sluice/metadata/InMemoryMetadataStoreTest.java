package dev.sluice.metadata;

/** The conformance suite against the in-memory store. */
class InMemoryMetadataStoreTest extends MetadataStoreConformance {

    private InMemoryMetadataStore backing;

    @Override
    protected MetadataStore newStore() {
        backing = new InMemoryMetadataStore();
        return backing;
    }

    @Override
    protected MetadataStore secondSession() {
        return backing.newSession();
    }
}
