// PluginHostTests
