/**
 * The cluster's TLS material. {@link dev.sluice.security.CertificateAuthority} makes a cluster CA and issues node
 * certificates with it; {@link dev.sluice.security.ClusterTrust} (the CA bundle alone, for clients) and
 * {@link dev.sluice.security.TlsMaterial} (the bundle plus a node's certificate and key, for servers and for nodes
 * calling nodes) read PEM files into the JDK's {@link javax.net.ssl.SSLContext}, key manager and trust manager,
 * trusting only the cluster's CA. Every file problem is a {@link dev.sluice.security.TlsFileException} that names
 * the file and never carries key material.
 */
package dev.sluice.security;
