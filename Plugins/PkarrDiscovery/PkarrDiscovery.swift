// PkarrDiscovery
