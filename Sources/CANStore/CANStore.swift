// CANStore
