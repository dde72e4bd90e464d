// SyncNode
