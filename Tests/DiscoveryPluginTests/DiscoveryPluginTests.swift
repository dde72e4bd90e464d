// DiscoveryPluginTests
