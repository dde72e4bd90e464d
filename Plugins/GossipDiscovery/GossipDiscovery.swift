// GossipDiscovery
