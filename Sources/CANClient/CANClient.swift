// CANClient
