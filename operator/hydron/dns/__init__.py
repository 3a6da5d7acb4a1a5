"""DNS records for an app's domains: RFC 2136 updates with TSIG, or external-dns's DNSEndpoints."""
