// CANStoreTests
